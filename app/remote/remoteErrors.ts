import { entrySchema } from '../../protocol/api.js';
import { errorBodySchema, type ErrorCode } from '../../protocol/errors.js';
import { SyncError, type SyncErrorCode } from '../errors.js';
import type { RemoteNode } from '../model.js';
import { printablePath } from './refusedEntry.js';
import { toRemoteNode } from './remoteNode.js';

/**
 * A precondition or path clash the planner must look at again. `current` is
 * the entry the service holds now (null when the path is free), so the
 * engine can re-plan without another round trip.
 */
export class RemoteConflictError extends SyncError {
  constructor(
    message: string,
    readonly current: RemoteNode | null,
    detail: ConstructorParameters<typeof SyncError>[2],
  ) {
    super('conflict', message, detail);
    this.name = 'RemoteConflictError';
  }
}

const CLIENT_CODE: Partial<Record<ErrorCode, SyncErrorCode>> = {
  unauthorized: 'signed_out',
  token_expired: 'signed_out',
  invalid_credentials: 'signed_out',
  refresh_token_reused: 'signed_out',
  not_found: 'not_found',
  invalid_path: 'invalid_name',
  conflict: 'conflict',
  already_exists: 'conflict',
  case_conflict: 'conflict',
  not_a_folder: 'conflict',
  not_a_file: 'conflict',
  parent_not_found: 'conflict',
  content_hash_mismatch: 'hash_mismatch',
  block_hashes_mismatch: 'hash_mismatch',
  chunk_hash_mismatch: 'hash_mismatch',
  insufficient_storage: 'service_full',
};

/** Refusals that go away by themselves: worth a retry after a pause. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['rate_limited', 'chunk_busy']);
/**
 * Refusals that last until someone acts (the service's disk is full, or the
 * user's netdisk is): quick retries would only hammer the service, so the
 * engine waits much longer (isLastingFailure in engine/classifyError.ts) and
 * says so as an issue.
 */
const LASTING: ReadonlySet<ErrorCode> = new Set(['insufficient_storage', 'quota_exceeded']);

/** A service refusal (status + wire error code) as a client error. */
export function serviceRefusal(status: number, code: ErrorCode, message: string, details?: Record<string, unknown>): SyncError {
  const detail = { status, serviceCode: code, retryable: !LASTING.has(code) && (status >= 500 || TRANSIENT.has(code)) };
  const text = `${message} (${code}, HTTP ${status})`;
  const clientCode = CLIENT_CODE[code] ?? 'service';
  if (clientCode === 'conflict') {
    const parsed = entrySchema.safeParse(details?.entry);
    return new RemoteConflictError(text, parsed.success ? toRemoteNode(parsed.data) : null, detail);
  }
  return new SyncError(clientCode, text, detail);
}

/** An answer the contract does not describe: the service (or a proxy in between) misbehaved. */
export function malformedAnswer(status: number, what: string, cause?: unknown): SyncError {
  return new SyncError('service', `the service sent a malformed answer (HTTP ${status}): ${what}`, {
    status,
    retryable: status >= 500,
    cause,
  });
}

/** Maps a non-2xx answer, whose body should be the protocol's error body. */
export function errorFromResponse(status: number, bodyText: string): SyncError {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return malformedAnswer(status, 'the error body is not JSON');
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return malformedAnswer(status, 'the error body does not match the protocol');
  const { code, message, details } = parsed.data.error;
  return serviceRefusal(status, code, message, details);
}

/**
 * Transport failures (refused, reset, timed out, aborted) as client errors.
 * got's error is not kept as `cause`: it carries the request options, and
 * with them the bearer token or refresh token, into whatever logs the error.
 */
export function errorFromTransport(error: unknown, signal?: AbortSignal): SyncError {
  if (error instanceof SyncError) return error;
  if (signal?.aborted || (error instanceof Error && error.name === 'AbortError')) {
    return new SyncError('aborted', 'the request was aborted');
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new SyncError('network', `the service could not be reached: ${reason}`, { retryable: true });
}

/** The service answered about the path the client asked about, not another one: anything else is a malformed answer. */
export function atPath(node: RemoteNode, expectedPath: string): RemoteNode {
  if (node.path !== expectedPath.normalize('NFC')) {
    throw malformedAnswer(200, `the service answered with ${printablePath(node.path)} for ${expectedPath}`);
  }
  return node;
}
