import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  BRIDGE_CLOSE_UNAUTHORIZED, BRIDGE_SOCKET_PATH, bridgeClientMessageSchema,
  type BridgeEvent, type BridgeServerMessage,
} from '../../protocol/bridge.js';
import type { BridgeService } from './bridgeService.js';
import { contentTypeOf, fileUnder } from './staticFiles.js';

export interface WebBridgeOptions {
  service: Pick<BridgeService, 'call' | 'on' | 'describeError'>;
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  /** 0 lets the OS pick; the chosen one is in `url`. */
  port: number;
}

/** How long a new connection has to say hello with the token. */
const HELLO_TIMEOUT_MS = 5_000;
const MAX_MESSAGE_BYTES = 1024 * 1024;
const HOST = '127.0.0.1';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `netdisk-sync --ui`: serves the built renderer over HTTP on 127.0.0.1 and
 * the UI contract over a WebSocket at /bridge. The page gets the random token
 * in the URL fragment (never sent in a request) and must present it as its
 * first message. A connection whose Origin is not exactly this server's, or
 * whose Host is another name (DNS rebinding), is refused before the upgrade;
 * one without the right token is closed with 4401.
 */
export class WebBridge {
  private readonly sockets = new Set<WebSocket>();

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly token: string,
    readonly origin: string,
  ) {}

  /** The address to open, with the token in the fragment. */
  get url(): string {
    return `${this.origin}/#token=${this.token}`;
  }

  static async listen(options: WebBridgeOptions): Promise<WebBridge> {
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const origin = `http://${HOST}:${(server.address() as AddressInfo).port}`;
    const bridge = new WebBridge(server, wss, randomBytes(32).toString('base64url'), origin);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void bridge.serveFile(request, response, options.rendererDir));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => bridge.upgrade(request, socket, head, options.service));
    return bridge;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Only our own host name: a page on another name that resolves here (DNS rebinding) gets nothing. */
  private hostAllowed(request: IncomingMessage): boolean {
    return request.headers.host === this.origin.slice('http://'.length);
  }

  private async serveFile(request: IncomingMessage, response: ServerResponse, rendererDir: string): Promise<void> {
    const headers = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        `connect-src 'self' ws://${HOST}:*`, "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
      ].join('; '),
    };
    const answer = (status: number, text: string) => {
      response.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${text}\n`);
    };
    if (!this.hostAllowed(request)) return answer(421, `use ${this.origin}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'method not allowed');
    const file = fileUnder(rendererDir, new URL(request.url ?? '/', this.origin).pathname);
    if (file === null) return answer(404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      const isIndex = file === fileUnder(rendererDir, '/');
      return isIndex ? answer(503, 'the UI is not built: run `npm run build:renderer`') : answer(404, 'not found');
    }
    response.writeHead(200, { ...headers, 'content-type': contentTypeOf(file), 'content-length': body.length });
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, service: WebBridgeOptions['service']): void {
    const path = new URL(request.url ?? '/', this.origin).pathname;
    if (path !== BRIDGE_SOCKET_PATH || request.headers.origin !== this.origin || !this.hostAllowed(request)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, service));
  }

  private accept(ws: WebSocket, service: WebBridgeOptions['service']): void {
    this.sockets.add(ws);
    let unsubscribe: (() => void) | null = null;
    const send = (message: BridgeServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const refuse = (reason: string) => ws.close(BRIDGE_CLOSE_UNAUTHORIZED, reason);
    const helloTimer = setTimeout(() => refuse('no token'), HELLO_TIMEOUT_MS);
    ws.on('close', () => {
      clearTimeout(helloTimer);
      unsubscribe?.();
      this.sockets.delete(ws);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      let message;
      try {
        message = bridgeClientMessageSchema.parse(JSON.parse(isBinary ? '' : data.toString()));
      } catch {
        // Without a call id there is nobody to answer; before the hello it is a stranger.
        if (!unsubscribe) refuse('bad message');
        return;
      }
      if (!unsubscribe) {
        if (message.type !== 'hello' || !timingSafeEqual(digest(message.token), digest(this.token))) return refuse('wrong token');
        clearTimeout(helloTimer);
        unsubscribe = service.on((event: BridgeEvent) => send({ type: 'event', event }));
        return send({ type: 'ready' });
      }
      if (message.type !== 'call') return;
      const { id } = message;
      service.call(message.command, message.args).then(
        (value) => send({ type: 'result', id, ok: true, value }),
        (error: unknown) => send({ type: 'result', id, ok: false, error: service.describeError(error) }),
      );
    });
  }
}
