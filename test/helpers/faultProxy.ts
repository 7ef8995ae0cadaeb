import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  /** Wait before forwarding. */
  | { kind: 'delay'; ms: number }
  /** Answer 503 without forwarding. */
  | { kind: 'unavailable' }
  /** Drop the connection at once (the client sees ECONNRESET / socket hang up). */
  | { kind: 'reset' }
  /** Forward the request body up to `afterBytes`, then cut the connection. */
  | { kind: 'cutRequest'; afterBytes: number }
  /** Forward, then cut the response after `afterBytes` of its body. */
  | { kind: 'truncateResponse'; afterBytes: number }
  /** Accept and never answer (until the proxy closes). */
  | { kind: 'stall' }
  /** Forward, but replace the response body with these bytes (same status and headers). */
  | { kind: 'corruptResponse'; body: Buffer };

export type FaultPlan = (req: { method: string; url: string; index: number }) => Fault;

/** One request the proxy saw, with what it forwarded so far (counters grow while it runs). */
export interface SeenRequest {
  method: string;
  url: string;
  fault: Fault['kind'];
  /** Request body bytes forwarded to the service. */
  requestBytes: number;
  /** Response body bytes read from the service. */
  responseBytes: number;
  /** The service's status, once its answer arrived. */
  status?: number;
  /** The service's answer was passed on whole. */
  answered: boolean;
  /** The exchange is over, answered or not. */
  closed: boolean;
}

export interface FaultProxy {
  url: string;
  /** Requests seen so far, in order. */
  seen: SeenRequest[];
  setPlan(plan: FaultPlan): void;
  close(): Promise<void>;
}

/** Passes `from` on to `to` until `limit` bytes went through, then calls `cut` to drop both connections. */
function forwardUpTo(from: Readable, to: Writable, limit: number, cut: () => void): void {
  let forwarded = 0;
  from.on('data', (chunk: Buffer) => {
    const room = limit - forwarded;
    if (room > 0) to.write(chunk.subarray(0, room));
    forwarded += chunk.length;
    if (forwarded >= limit) cut();
  });
  from.on('end', () => to.end());
}

/**
 * An HTTP fault-injecting proxy on 127.0.0.1, between a client and the real
 * service: resets, stalls, truncations, delays and 503s on demand.
 */
export async function startFaultProxy(upstream: string, initial: FaultPlan = () => ({ kind: 'pass' })): Promise<FaultProxy> {
  const target = new URL(upstream);
  let plan = initial;
  const seen: FaultProxy['seen'] = [];
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, fault: Fault, record: SeenRequest) => {
    // The client gave up during a delay: nothing to forward.
    if (res.closed) return;
    const upstreamReq = httpRequest({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    }, (upstreamRes) => {
      record.status = upstreamRes.statusCode;
      upstreamRes.on('data', (chunk: Buffer) => { record.responseBytes += chunk.length; });
      res.on('finish', () => { record.answered = true; });
      if (fault.kind === 'corruptResponse') {
        upstreamRes.resume();
        const headers = { ...upstreamRes.headers, 'content-length': String(fault.body.length) };
        res.writeHead(upstreamRes.statusCode ?? 502, headers);
        res.end(fault.body);
        return;
      }
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      if (fault.kind !== 'truncateResponse') {
        upstreamRes.pipe(res);
        return;
      }
      forwardUpTo(upstreamRes, res, fault.afterBytes, () => {
        upstreamRes.destroy();
        res.socket?.destroy();
      });
    });
    upstreamReq.on('error', () => res.socket?.destroy());
    // A client that went away (killed, aborted) before its answer ended must not leave the request open at the service.
    res.on('close', () => { if (!res.writableFinished) upstreamReq.destroy(); });
    req.on('data', (chunk: Buffer) => {
      record.requestBytes += fault.kind === 'cutRequest' ? Math.max(0, Math.min(chunk.length, fault.afterBytes - record.requestBytes)) : chunk.length;
    });
    if (fault.kind !== 'cutRequest') {
      req.pipe(upstreamReq);
      return;
    }
    forwardUpTo(req, upstreamReq, fault.afterBytes, () => {
      upstreamReq.destroy();
      req.socket.destroy();
    });
  };

  const server: Server = createServer((req, res) => {
    const fault = plan({ method: req.method ?? 'GET', url: req.url ?? '/', index: seen.length });
    const record: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', fault: fault.kind, requestBytes: 0, responseBytes: 0, answered: false, closed: false };
    seen.push(record);
    res.on('close', () => { record.closed = true; });
    switch (fault.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'stall':
        return;
      case 'unavailable':
        req.resume();
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ error: { code: 'internal_error', message: 'injected 503' } }));
        return;
      case 'delay':
        setTimeout(() => forward(req, res, fault, record), fault.ms);
        return;
      default:
        forward(req, res, fault, record);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    setPlan: (next) => {
      plan = next;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
