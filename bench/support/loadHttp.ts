import { Agent, request } from 'node:http';

/**
 * The load generator's HTTP: node:http with kept-alive connections. It runs
 * on the same two cores as the services, so it stays lighter than fetch.
 */

export interface Answer {
  status: number;
  body: Buffer;
  /** Parsed JSON when the body is JSON. */
  json(): unknown;
}

/** A request that never reached an answer (refused, reset, cut): the client may retry it. */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

export interface CallOptions {
  headers?: Record<string, string>;
  /** Sent as JSON unless it is a Buffer (then as application/octet-stream). */
  body?: unknown;
  signal?: AbortSignal;
}

export function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: Buffer | undefined;
  if (Buffer.isBuffer(options.body)) {
    payload = options.body;
    headers['content-type'] = 'application/octet-stream';
  } else if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body));
    headers['content-type'] = 'application/json';
  }
  if (payload) headers['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, agent, ...(options.signal ? { signal: options.signal } : {}) }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('error', (error) => reject(new NetworkError(error.message)));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body.toString('utf8')) as unknown });
      });
    });
    req.on('error', (error) => reject(new NetworkError(error.message)));
    req.end(payload);
  });
}

/** A gateway's "the node behind me is gone" answers: nginx says 502 when a node died mid-request. */
export function isGatewayFailure(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}
