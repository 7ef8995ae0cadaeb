import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_PREFIX } from '../../protocol/api.js';
import { hashBytes } from '../../protocol/contentHash.js';
import { nameOf } from '../../protocol/paths.js';

/** One request the client made, as the stand-in saw it. */
export interface SeenRequest {
  method: string;
  route: string;
  query: Record<string, string>;
  body: string;
}

/** An entry as the v1 contract shapes it; hostile tests build broken ones by hand. */
export type RawEntry = Record<string, unknown>;

let nextId = 0;

/** A well-formed folder entry. */
export function folderEntry(path: string, extra: RawEntry = {}): RawEntry {
  return { id: `id-${++nextId}`, path, name: nameOf(path), kind: 'folder', size: 0, contentHash: null, rev: 'r1', mtime: 1_700_000_000_000, ...extra };
}

/** A well-formed file entry for `bytes`. */
export function fileEntry(path: string, bytes: Uint8Array, extra: RawEntry = {}): RawEntry {
  return {
    id: `id-${++nextId}`, path, name: nameOf(path), kind: 'file', size: bytes.length,
    contentHash: hashBytes(bytes).contentHash, rev: 'r1', mtime: 1_700_000_000_000, ...extra,
  };
}

const USER = { id: 'u1', username: 'victim', displayName: 'Victim', createdAt: 1 };

/**
 * A deliberately hostile service: a small stand-in speaking the v1 contract
 * (sign-in, `/me`, the change feed, listings, ranged downloads) whose answers
 * the test scripts, broken ones included, and which records every request
 * the client makes. The real service cannot be made to send what it refuses
 * to store; this one sends exactly what a compromised or buggy one could.
 * Bound to 127.0.0.1 on a port the system picks.
 */
export class HostileService {
  /** Raw change objects, sent as they are; each needs a numeric `seq` for the cursor to pass it. */
  readonly feed: RawEntry[] = [];
  /** Raw entries per listed folder, for `GET /files`. */
  readonly listings = new Map<string, RawEntry[]>();
  /** Bytes served by `GET /files/content`, per path. */
  readonly contents = new Map<string, Uint8Array>();
  readonly requests: SeenRequest[] = [];
  /** While true, a feed read from cursor 0 answers 410 `cursor_expired`, so the client lists the tree. */
  expireFirstCursor = false;
  /** Scripted 200 answers for other routes, by `METHOD /route` (e.g. `POST /files/mkdir`): the request's body in (parsed if JSON, else its bytes), the answer out. */
  readonly scripted = new Map<string, (body: unknown) => unknown>();
  private seq = 0;

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<HostileService> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const service = new HostileService(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void service.answer(request, response));
    return service;
  }

  /** Appends a change with the next `seq`; `change` may be as broken as the test likes. */
  push(change: RawEntry): void {
    this.feed.push({ seq: ++this.seq, ...change });
  }

  /** Appends a well-formed `create` of `entry`, serving `bytes` for a file. */
  create(entry: RawEntry, bytes?: Uint8Array): void {
    if (bytes) this.contents.set(entry.path as string, bytes);
    this.push({ op: 'create', path: entry.path, entry });
  }

  /** The requests that would change the drive: none may come for what the client refused. */
  mutations(): SeenRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && !r.route.startsWith('/auth/'));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', this.url);
    const route = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method: request.method ?? 'GET', route, query, body: Buffer.concat(chunks).toString() });
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    switch (`${request.method} ${route}`) {
      case 'POST /auth/login':
      case 'POST /auth/refresh':
        // Token-shaped secrets: what a client stores must look like what a real service hands out (other suites
        // read the shared test keychain and look for each stored secret in places it must never reach).
        return json(200, { accessToken: randomBytes(32).toString('base64url'), refreshToken: randomBytes(32).toString('base64url'), expiresIn: 3600, user: USER });
      case 'POST /auth/logout':
        response.writeHead(204).end();
        return;
      case 'GET /me':
        return json(200, { user: USER });
      case 'GET /changes/latest':
        return json(200, { cursor: this.seq });
      case 'GET /changes': {
        const cursor = Number(query.cursor ?? 0);
        if (this.expireFirstCursor && cursor === 0) return json(410, { error: { code: 'cursor_expired', message: 'pruned' } });
        const limit = Number(query.limit ?? 1000);
        const after = this.feed.filter((change) => (change.seq as number) > cursor);
        const page = after.slice(0, limit);
        return json(200, { changes: page, cursor: (page.at(-1)?.seq as number | undefined) ?? cursor, hasMore: after.length > limit });
      }
      case 'GET /files':
        return json(200, { entries: this.listings.get(query.path ?? '/') ?? [] });
      case 'GET /files/content':
        return this.download(query.path ?? '', request.headers.range, response);
      default: {
        const script = this.scripted.get(`${request.method} ${route}`);
        if (!script) return json(404, { error: { code: 'not_found', message: `the stand-in does not serve ${request.method} ${route}` } });
        const body = Buffer.concat(chunks);
        if (chunks.length === 0) return json(200, script(undefined));
        return json(200, script(request.headers['content-type'] === 'application/json' ? JSON.parse(body.toString()) : body));
      }
    }
  }

  private download(path: string, range: string | undefined, response: ServerResponse): void {
    const bytes = this.contents.get(path);
    if (!bytes) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'not_found', message: 'no such file' } }));
      return;
    }
    const etag = `"${hashBytes(bytes).contentHash}"`;
    const asked = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
    if (!asked) {
      response.writeHead(200, { etag, 'content-length': bytes.length });
      response.end(bytes);
      return;
    }
    const start = Number(asked[1]);
    const end = Math.min(Number(asked[2]), bytes.length - 1);
    response.writeHead(206, { etag, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${bytes.length}` });
    response.end(bytes.subarray(start, end + 1));
  }
}
