import { SyncError } from './errors.js';

/** The errno code of a Node fs error, or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps a failed local file-system call to a SyncError with a stable code. */
export function syncErrorFromFs(error: unknown, path: string): SyncError {
  if (error instanceof SyncError) return error;
  const detail = { path, cause: error };
  const reason = error instanceof Error ? error.message : String(error);
  switch (errnoCode(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new SyncError('not_found', `${path} does not exist`, detail);
    case 'EACCES':
    case 'EPERM':
      return new SyncError('permission_denied', `no permission to access ${path}`, detail);
    case 'ENOSPC':
    case 'EDQUOT':
      return new SyncError('disk_full', `no space left for ${path}`, detail);
    default:
      return new SyncError('internal', `file-system error on ${path}: ${reason}`, detail);
  }
}
