import { constants } from 'node:fs';
import { BLOCK_SIZE, hashBytes, type ContentDigest } from '../../protocol/contentHash.js';
import { sameVersion } from '../../protocol/hashWorker.js';
import { SyncError } from '../../app/errors.js';
import { syncErrorFromFs } from '../../app/fsErrors.js';
import type { Hasher, SmallFileRead } from '../../app/hash/hasher.js';
import type { LocalFs, LocalStats } from '../../app/local/localFs.js';

/**
 * The Hasher port in-process over a LocalFs: the same content hash as
 * production (protocol/contentHash, the block scheme the piscina worker
 * computes), the same "changed while it was read" check (size, mtime and
 * inode before and after) and the same errors.
 */
export class MemoryHasher implements Hasher {
  constructor(private readonly fs: LocalFs) {}

  async hashFile(absPath: string): Promise<ContentDigest> {
    const before = await this.statFile(absPath);
    let bytes: Uint8Array;
    try {
      bytes = await this.fs.readFile(absPath);
    } catch (error) {
      throw new SyncError('file_changed', `${absPath} changed while it was being hashed`, { path: absPath, retryable: true, cause: error });
    }
    const after = await this.statFile(absPath).catch((error: unknown) => {
      throw new SyncError('file_changed', `${absPath} changed while it was being hashed`, { path: absPath, retryable: true, cause: error });
    });
    if (bytes.length !== before.size || !sameVersion(before, after)) {
      throw new SyncError('file_changed', `${absPath} changed while it was being hashed`, { path: absPath, retryable: true });
    }
    return hashBytes(bytes);
  }

  /** As the pool's worker reads it: opened without following a symlink, fstat-ed, read whole, the path stat-ed again. */
  async readSmallFile(absPath: string): Promise<SmallFileRead> {
    const changed = () => new SyncError('file_changed', `${absPath} changed while it was being read`, { path: absPath, retryable: true });
    const handle = await this.fs.open(absPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const before = await handle.stat();
      if (!before.isFile() || before.size > BLOCK_SIZE) throw changed();
      const bytes = await handle.readFile();
      const after = await this.fs.stat(absPath).catch(() => null);
      if (bytes.length !== before.size || !after || !sameVersion(before, after)) throw changed();
      const { size, mtimeMs, ctimeMs, ino, dev } = before;
      return { bytes, digest: hashBytes(bytes), file: { size, mtimeMs, ctimeMs, ino, dev } };
    } finally {
      await handle.close();
    }
  }

  async close(): Promise<void> {}

  private async statFile(absPath: string): Promise<LocalStats> {
    let stats: LocalStats;
    try {
      stats = await this.fs.stat(absPath);
    } catch (error) {
      throw syncErrorFromFs(error, absPath);
    }
    if (!stats.isFile()) throw new SyncError('not_found', `${absPath} is not a regular file`, { path: absPath });
    return stats;
  }
}
