import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSqliteStorageFailure, syncErrorFromFs } from './fsErrors.js';

const dir = mkdtempSync(join(tmpdir(), 'netdisk-fserrors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An error shaped as Node's fs and better-sqlite3's SqliteError shape theirs: a message and a string `code`. */
const failure = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

describe('syncErrorFromFs', () => {
  it('maps no-space errnos and SQLITE_FULL to disk_full', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL']) expect(syncErrorFromFs(failure(code), join(dir, 'f')).code).toBe('disk_full');
  });

  it('maps EIO and SQLite I/O errors on a disk with space left to io_error, naming the file', () => {
    for (const code of ['EIO', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_SHMSIZE']) {
      const error = syncErrorFromFs(failure(code), join(dir, 'state.sqlite'));
      expect(error.code).toBe('io_error');
      expect(error.message).toContain(join(dir, 'state.sqlite'));
    }
  });

  it('keeps other SQLite errors internal', () => {
    expect(syncErrorFromFs(failure('SQLITE_CONSTRAINT_UNIQUE'), dir).code).toBe('internal');
    expect(isSqliteStorageFailure(failure('SQLITE_CONSTRAINT_UNIQUE'))).toBe(false);
    expect(isSqliteStorageFailure(failure('SQLITE_IOERR_FSYNC'))).toBe(true);
    expect(isSqliteStorageFailure(failure('ENOSPC'))).toBe(false);
  });
});
