import { ApiError } from '../errors.js';

/** What the SDK's errors carry that we branch on. */
interface S3Failure {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const MISSING = new Set(['NoSuchKey', 'NotFound']);
const REFUSED = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied', 'InvalidToken', 'ExpiredToken']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

export function s3StatusOf(error: unknown): number | undefined {
  return (error as S3Failure | undefined)?.$metadata?.httpStatusCode;
}

export function isS3NotFound(error: unknown): boolean {
  const failure = error as S3Failure | undefined;
  return MISSING.has(failure?.name ?? '') || s3StatusOf(error) === 404;
}

/**
 * An S3 failure as the service's stable error: a missing object is
 * `not_found`, a vanished multipart upload `upload_expired`; throttling
 * (503 SlowDown), 5xx, timeouts and refused connections are
 * `storage_unavailable` (503: the client retries later, nothing was
 * committed). A refused signature or credential (403) is
 * `storage_access_denied`: also 503, since the client can only wait, but its
 * own code and message say the operator must act, and the error handler logs
 * it with the store's answer as its cause. `ApiError`s pass through (a
 * verifier's refusal travelling out of a part upload).
 */
export function fromS3(error: unknown, what: string): Error {
  if (error instanceof ApiError) return error;
  const failure = (error ?? {}) as S3Failure;
  const name = failure.name ?? '';
  const status = s3StatusOf(error);
  if (name === 'NoSuchUpload') return new ApiError('upload_expired', `${what}: the storage no longer holds this upload; create it again`);
  if (isS3NotFound(error)) return new ApiError('not_found', `${what}: the content is not stored`);
  if (REFUSED.has(name) || status === 403) {
    return new ApiError('storage_access_denied',
      `${what}: the content storage refused the service's credentials (${name || status}); the service's administrator must fix its S3 settings`,
      undefined, undefined, { cause: error });
  }
  if (status === 503 || name === 'SlowDown' || (status !== undefined && status >= 500) || name === 'TimeoutError'
    || name === 'AbortError' || NETWORK.has(failure.code ?? '') || NETWORK.has(name)) {
    return new ApiError('storage_unavailable', `${what}: the content storage is unavailable (${name || failure.code || status}); try again later`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
