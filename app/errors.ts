/**
 * Client-side failures as typed values with stable codes, so the CLI, the UI
 * and the tests branch on `code`, never on message text. Service refusals keep
 * the service's code (see protocol/errors.ts) in `serviceCode`.
 */
export type SyncErrorCode =
  | 'network'
  | 'service'
  | 'signed_out'
  | 'conflict'
  | 'not_found'
  | 'hash_mismatch'
  | 'disk_full'
  /** The disk failed (EIO, SQLite I/O errors with space left): not something a retry fixes. */
  | 'io_error'
  /** The service is out of storage (HTTP 507): wait and sync again later. */
  | 'service_full'
  | 'permission_denied'
  | 'file_changed'
  | 'sync_root_missing'
  | 'invalid_name'
  | 'invalid_remote_path'
  | 'outside_sync_root'
  | 'aborted'
  | 'watch_limit'
  | 'keychain_unavailable'
  | 'account_mismatch'
  | 'sign_in_failed'
  | 'sign_in_timeout'
  | 'internal';

export class SyncError extends Error {
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    readonly detail: { status?: number; serviceCode?: string; path?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'SyncError';
  }

  get retryable(): boolean {
    return this.detail.retryable ?? (this.code === 'network' || (this.code === 'service' && (this.detail.status ?? 0) >= 500));
  }
}

export function isSyncError(error: unknown): error is SyncError {
  return error instanceof SyncError;
}
