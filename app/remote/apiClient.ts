import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import got, { type Got, type Method } from 'got';
import type { z } from 'zod';
import { API_PREFIX } from '../../protocol/api.js';
import { USER_AGENT } from '../version.js';
import { SyncError } from '../errors.js';
import { errorFromResponse, errorFromTransport, malformedAnswer } from './remoteErrors.js';

export interface ApiRequest {
  method: Method;
  /** Below /api/v1, e.g. `/files/meta`. */
  path: string;
  searchParams?: Record<string, string | number>;
  json?: unknown;
  body?: Uint8Array | Readable;
  headers?: Record<string, string>;
  accessToken?: string;
  signal?: AbortSignal;
  /** Longest silence on the socket; long polls raise it above their wait. */
  idleTimeoutMs?: number;
  onUploadProgress?: (bytesSent: number) => void;
}

export interface StreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

export interface ApiClientOptions {
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

/**
 * One HTTP attempt per call against the service's /api/v1, with every answer
 * checked against the protocol: a 2xx body must match its zod schema, any
 * other status must carry the protocol's error body. Failures leave as
 * `SyncError`; retrying is the caller's decision.
 */
export class ApiClient {
  readonly serverUrl: string;
  private readonly http: Got;
  private readonly idleTimeoutMs: number;

  constructor(serverUrl: string, options: ApiClientOptions = {}) {
    this.serverUrl = serverUrl.replace(/\/+$/, '');
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.http = got.extend({
      headers: { 'user-agent': USER_AGENT },
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { connect: options.connectTimeoutMs ?? 15_000 },
    });
  }

  /** Sends the request and returns its JSON answer parsed with `schema` (null: no body expected). */
  async call<S extends z.ZodType>(request: ApiRequest, schema: S): Promise<z.output<S>>;
  async call(request: ApiRequest, schema: null): Promise<void>;
  async call(request: ApiRequest, schema: z.ZodType | null): Promise<unknown> {
    let status: number;
    let text: string;
    try {
      const pending = this.http(this.url(request.path), {
        ...this.options(request),
        responseType: 'text',
      });
      const { onUploadProgress } = request;
      if (onUploadProgress) pending.on('uploadProgress', (progress) => onUploadProgress(progress.transferred));
      const response = await pending;
      status = response.statusCode;
      text = response.body;
    } catch (error) {
      throw errorFromTransport(error, request.signal);
    }
    if (status < 200 || status >= 300) throw errorFromResponse(status, text);
    if (schema === null) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw malformedAnswer(status, 'the body is not JSON', error);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw malformedAnswer(status, `${request.method} ${request.path}: ${parsed.error.message}`, parsed.error);
    return parsed.data;
  }

  /**
   * Opens a streamed answer; a refusal is read and thrown before any byte
   * reaches the caller. A redirect (a download the service hands to its
   * content store as a presigned URL) is followed once, carrying only the
   * Range header: never the bearer token, whose audience is this service,
   * and never the conditional headers, which the service already judged.
   * The service's ETag is kept, since the store's own ETag is not the
   * content hash; the caller verifies the bytes as always.
   */
  async stream(request: ApiRequest): Promise<StreamAnswer> {
    const first = await this.open(this.http.stream(this.url(request.path), { ...this.options(request), followRedirect: false }), request.signal);
    const location = first.headers.location;
    if (!REDIRECTS.has(first.status) || !location) return this.answer(first, request.signal, errorFromResponse);
    first.body.destroy();
    const target = new URL(location, this.url(request.path));
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
      throw malformedAnswer(first.status, `a redirect to ${target.protocol} is not followed`);
    }
    const range = request.headers?.range;
    const second = await this.open(this.http.stream(target, {
      method: 'GET',
      headers: range ? { range } : {},
      followRedirect: false,
      ...(request.signal ? { signal: request.signal } : {}),
      timeout: { socket: request.idleTimeoutMs ?? this.idleTimeoutMs },
    }), request.signal);
    const answer = await this.answer(second, request.signal, (status) =>
      new SyncError('network', `the content store answered HTTP ${status} to a redirected download`, { status, retryable: true }));
    const etag = first.headers.etag;
    return { ...answer, headers: { ...answer.headers, ...(etag ? { etag } : { etag: undefined }) } };
  }

  private async open(body: Readable, signal: AbortSignal | undefined): Promise<{ status: number; headers: IncomingHttpHeaders; body: Readable }> {
    try {
      const { statusCode: status, headers } = await new Promise<{ statusCode: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
        body.once('response', resolve);
        body.once('error', reject);
      });
      return { status, headers, body };
    } catch (error) {
      body.destroy();
      throw errorFromTransport(error, signal);
    }
  }

  private async answer(
    opened: { status: number; headers: IncomingHttpHeaders; body: Readable },
    signal: AbortSignal | undefined,
    refusal: (status: number, text: string) => Error,
  ): Promise<StreamAnswer> {
    const { status, headers, body } = opened;
    if (status >= 400) {
      let text: string;
      try {
        text = await readText(body);
      } catch (error) {
        throw errorFromTransport(error, signal);
      }
      throw refusal(status, text);
    }
    return { status, headers, body: withTypedErrors(body, signal) };
  }

  private url(path: string): string {
    return `${this.serverUrl}${API_PREFIX}${path}`;
  }

  private options(request: ApiRequest) {
    return {
      method: request.method,
      headers: {
        ...(request.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...request.headers,
        ...(request.accessToken ? { authorization: `Bearer ${request.accessToken}` } : {}),
      },
      ...(request.searchParams ? { searchParams: request.searchParams } : {}),
      // Encoded to bytes once, here: handed a string, got encodes it to measure
      // it and the socket encodes it again (a batch upload's 11 MB, twice).
      ...(request.json !== undefined ? { body: Buffer.from(JSON.stringify(request.json)) } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      timeout: { socket: request.idleTimeoutMs ?? this.idleTimeoutMs },
    };
  }
}

/** The body as a stream whose failures (reset, truncation, abort) are `SyncError`s like every other failure. */
function withTypedErrors(body: Readable, signal?: AbortSignal): Readable {
  const typed = new PassThrough();
  body.on('error', (error) => typed.destroy(errorFromTransport(error, signal)));
  // A consumer that stops early must not leave the connection open.
  typed.on('close', () => body.destroy());
  return body.pipe(typed);
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

async function readText(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts).toString('utf8');
}
