import { errorBodySchema, type ErrorCode } from '../../protocol/errors.js';

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. Check it with a protocol schema. */
  body: unknown;
}

export interface JsonRequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

/** One HTTP call to the service with a JSON body (if any), answered with status, headers and parsed JSON. */
export async function jsonRequest(api: string, method: string, path: string, options: JsonRequestOptions = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${api}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** The stable error code of a refusal; throws if the body is not the wire error shape. */
export function errorCodeOf(response: JsonResponse): ErrorCode {
  return errorBodySchema.parse(response.body).error.code;
}
