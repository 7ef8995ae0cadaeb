import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import got, { type Got, type Method } from 'got';
import type { z } from 'zod';
import { API_PREFIX } from '../../protocol/api.js';
import { USER_AGENT } from '../version.js';
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

  /** Opens a streamed answer; a refusal is read and thrown before any byte reaches the caller. */
  async stream(request: ApiRequest): Promise<StreamAnswer> {
    const body = this.http.stream(this.url(request.path), this.options(request));
    let status: number;
    let headers: IncomingHttpHeaders;
    try {
      ({ statusCode: status, headers } = await new Promise<{ statusCode: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
        body.once('response', resolve);
        body.once('error', reject);
      }));
    } catch (error) {
      body.destroy();
      throw errorFromTransport(error, request.signal);
    }
    if (status >= 400) {
      let text: string;
      try {
        text = await readText(body);
      } catch (error) {
        throw errorFromTransport(error, request.signal);
      }
      throw errorFromResponse(status, text);
    }
    return { status, headers, body: withTypedErrors(body, request.signal) };
  }

  private url(path: string): string {
    return `${this.serverUrl}${API_PREFIX}${path}`;
  }

  private options(request: ApiRequest) {
    return {
      method: request.method,
      headers: {
        ...request.headers,
        ...(request.accessToken ? { authorization: `Bearer ${request.accessToken}` } : {}),
      },
      ...(request.searchParams ? { searchParams: request.searchParams } : {}),
      ...(request.json !== undefined ? { json: request.json } : {}),
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

async function readText(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts).toString('utf8');
}
