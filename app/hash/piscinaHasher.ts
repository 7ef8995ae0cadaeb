import { existsSync, type Stats } from 'node:fs';
import { stat as fsStat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { contentHashOfBlocks, type ContentDigest } from '../../protocol/contentHash.js';
import type { HashRangeResult, HashRangeTask } from '../../protocol/hashWorker.js';
import { SyncError } from '../errors.js';
import { syncErrorFromFs } from '../fsErrors.js';
import type { Hasher } from './hasher.js';
import { planHashRanges } from './hashRanges.js';
import { hashWorkerPath } from './workerPath.js';

export interface PiscinaHasherOptions {
  /** Worker threads; defaults to os.availableParallelism(). */
  threads?: number;
  /** Compiled worker script; defaults to dist/native-workers/hashWorker.js. */
  workerPath?: string;
  /** The stat used before and after reading: a port so tests can change the file at a known moment. */
  stat?: (absPath: string) => Promise<Stats>;
}

/**
 * Hashes on a piscina pool: a file is cut into block-aligned ranges hashed on
 * several threads at once, so a single large file uses every core.
 */
export class PiscinaHasher implements Hasher {
  readonly threads: number;
  private readonly pool: Piscina<HashRangeTask, HashRangeResult>;
  private readonly stat: (absPath: string) => Promise<Stats>;

  constructor(options: PiscinaHasherOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    this.stat = options.stat ?? fsStat;
    const filename = options.workerPath ?? hashWorkerPath();
    if (!existsSync(filename)) throw new SyncError('internal', `the hashing worker ${filename} is missing: build the project first (npm run build)`);
    this.pool = new Piscina<HashRangeTask, HashRangeResult>({
      filename,
      // Threads start on the first hash and stop after a quiet minute: a
      // restart with nothing to hash then carries no idle worker isolates
      // (each costs tens of MB of RSS; bench:restart targets < 300 MB).
      minThreads: 0,
      maxThreads: this.threads,
      idleTimeout: 60_000,
    });
  }

  async hashFile(absPath: string, signal?: AbortSignal): Promise<ContentDigest> {
    const before = await this.statFile(absPath);
    const ranges = planHashRanges(before.size, this.threads);
    let results: HashRangeResult[];
    try {
      results = await Promise.all(ranges.map((range) => this.pool.run({ path: absPath, ...range }, { signal: signal ?? null })));
    } catch (error) {
      if (signal?.aborted) throw new SyncError('aborted', `hashing ${absPath} was cancelled`, { path: absPath, cause: error });
      // An error thrown in a worker thread arrives without its errno code, so
      // whether the file was deleted or replaced meanwhile is asked of the disk.
      if ((error as { code?: unknown }).code === 'ENOENT' || !(await this.isStill(absPath, before))) throw changed(absPath, error);
      throw syncErrorFromFs(error, absPath);
    }
    const bytesRead = results.reduce((sum, r) => sum + r.bytesRead, 0);
    const after = await this.statFile(absPath).catch((error: unknown) => {
      throw changed(absPath, error);
    });
    if (bytesRead !== before.size || !sameVersion(before, after)) throw changed(absPath);
    const blockHashes = results.flatMap((r) => r.blockHashes);
    return { contentHash: contentHashOfBlocks(blockHashes), blockHashes, size: before.size };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async isStill(absPath: string, before: Stats): Promise<boolean> {
    return this.stat(absPath).then((now) => sameVersion(before, now), () => false);
  }

  private async statFile(absPath: string): Promise<Stats> {
    let stats: Stats;
    try {
      stats = await this.stat(absPath);
    } catch (error) {
      throw syncErrorFromFs(error, absPath);
    }
    if (!stats.isFile()) throw new SyncError('not_found', `${absPath} is not a regular file`, { path: absPath });
    return stats;
  }
}

// Inode too: an editor that saves by writing a new file and renaming it over
// the old one can keep size and mtime (to the ms) yet change the content.
function sameVersion(a: Stats, b: Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.dev === b.dev;
}

function changed(absPath: string, cause?: unknown): SyncError {
  return new SyncError('file_changed', `${absPath} changed while it was being hashed`, { path: absPath, retryable: true, cause });
}
