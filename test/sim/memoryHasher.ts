import { hashBytes, type ContentDigest } from '../../protocol/contentHash.js';
import { SyncError } from '../../app/errors.js';
import { syncErrorFromFs } from '../../app/fsErrors.js';
import type { Hasher } from '../../app/hash/hasher.js';
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

function sameVersion(a: LocalStats, b: LocalStats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.dev === b.dev;
}
