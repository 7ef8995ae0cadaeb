import { statfsSync } from 'node:fs';

/** Below this much free space, an I/O failure of the database is taken for a full disk. */
const NEARLY_FULL_BYTES = 1024 * 1024;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function nearlyFull(dir: string): boolean {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}

/**
 * Whether a failure means the service ran out of space in `dataDir`: a file
 * write's ENOSPC or EDQUOT, SQLite's `SQLITE_FULL`, or one of its I/O errors
 * (a shared-memory file it cannot grow is `SQLITE_IOERR_SHMSIZE`, with no
 * errno to tell) while the disk is out of space. SQLite has rolled the
 * statement or transaction back by then: nothing is half-committed.
 */
export function isOutOfStorage(error: unknown, dataDir: string): boolean {
  const code = errorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
  return (code?.startsWith('SQLITE_IOERR') ?? false) && nearlyFull(dataDir);
}
