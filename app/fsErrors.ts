import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { SyncError } from './errors.js';

/** The errno code of a Node fs error (or SQLite's result code, e.g. `SQLITE_FULL`), or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Below this much free space an I/O failure is taken for a full disk: SQLite
 * reports a shared-memory file it cannot grow as `SQLITE_IOERR_SHMSIZE`,
 * not as `SQLITE_FULL`, and its errors carry no errno to tell.
 */
const NEARLY_FULL_BYTES = 1024 * 1024;

/** Whether the file system holding `path` (or, when it does not exist, its parent) has next to no space left. */
function nearlyFull(path: string): boolean {
  for (const candidate of [path, dirname(path)]) {
    try {
      const stats = statfsSync(candidate);
      return stats.bavail * stats.bsize < NEARLY_FULL_BYTES;
    } catch {
      // Missing: try the parent.
    }
  }
  return false;
}

/** SQLite's result codes for a disk that is full or failing (better-sqlite3 puts the extended code in `code`). */
export function isSqliteStorageFailure(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'SQLITE_FULL' || (code?.startsWith('SQLITE_IOERR') ?? false);
}

/**
 * Maps a failed local file-system or SQLite call to a SyncError with a stable
 * code: `disk_full` for no space (ENOSPC, EDQUOT, SQLITE_FULL, or an I/O
 * error on a disk that is out of space), `io_error` for a failing disk.
 */
export function syncErrorFromFs(error: unknown, path: string): SyncError {
  if (error instanceof SyncError) return error;
  const detail = { path, cause: error };
  const reason = error instanceof Error ? error.message : String(error);
  const code = errnoCode(error);
  const outOfSpace = () => new SyncError('disk_full', `no space left for ${path}; free some space and sync again`, detail);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new SyncError('not_found', `${path} does not exist`, detail);
    case 'EACCES':
    case 'EPERM':
      return new SyncError('permission_denied', `no permission to access ${path}`, detail);
    case 'ENOSPC':
    case 'EDQUOT':
    case 'SQLITE_FULL':
      return outOfSpace();
    case 'EIO':
      return new SyncError('io_error', `the disk failed reading or writing ${path}: ${reason}`, detail);
    default:
      if (code?.startsWith('SQLITE_IOERR')) {
        if (nearlyFull(path)) return outOfSpace();
        return new SyncError('io_error', `the disk failed reading or writing ${path}: ${reason} (${code})`, detail);
      }
      return new SyncError('internal', `file-system error on ${path}: ${reason}`, detail);
  }
}
