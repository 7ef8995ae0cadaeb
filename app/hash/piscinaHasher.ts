import { existsSync, type Stats } from 'node:fs';
import { stat as fsStat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { BLOCK_SIZE, contentHashOfBlocks, type ContentDigest } from '../../protocol/contentHash.js';
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
 * Block digests of recently hashed multi-block files kept in memory (at most
 * this many digests, ~100 bytes each: 256 GiB of files in ~7 MB): a large
 * file hashed by the scan is then not read a second time by its upload.
 */
const MEMO_MAX_BLOCKS = 65_536;

interface Memo {
  stats: Stats;
  digest: ContentDigest;
}

/**
 * Hashes on a piscina pool: a file is cut into block-aligned ranges hashed on
 * several threads at once, so a single large file uses every core.
 */
export class PiscinaHasher implements Hasher {
  readonly threads: number;
  private readonly pool: Piscina<HashRangeTask, HashRangeResult>;
  private readonly stat: (absPath: string) => Promise<Stats>;
  /** Path -> last digest, oldest first (a Map keeps insertion order). */
  private readonly memo = new Map<string, Memo>();
  private memoBlocks = 0;

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
    const known = this.memo.get(absPath);
    if (known && sameVersion(known.stats, before) && known.stats.ctimeMs === before.ctimeMs) return known.digest;
    const ranges = planHashRanges(before.size, this.threads);
    let results: HashRangeResult[];
    try {
      // One signal per task: piscina adds an abort listener per task, and a
      // 1 GiB file's 16 ranges on the caller's signal tripped Node's
      // 10-listener leak warning. A dependent signal adds none to its source.
      results = await Promise.all(ranges.map((range) => this.pool.run({ path: absPath, ...range }, { signal: signal ? AbortSignal.any([signal]) : null })));
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
    const digest = { contentHash: contentHashOfBlocks(blockHashes), blockHashes, size: before.size };
    if (before.size > BLOCK_SIZE) this.remember(absPath, { stats: before, digest });
    return digest;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /**
   * Keyed by stat identity plus ctime, which every write and utimes moves,
   * so even an edit that restores size and mtime is hashed again.
   */
  private remember(absPath: string, memo: Memo): void {
    this.forget(absPath);
    this.memo.set(absPath, memo);
    this.memoBlocks += memo.digest.blockHashes.length;
    for (const [path] of this.memo) {
      if (this.memoBlocks <= MEMO_MAX_BLOCKS) break;
      this.forget(path);
    }
  }

  private forget(absPath: string): void {
    const old = this.memo.get(absPath);
    if (!old) return;
    this.memo.delete(absPath);
    this.memoBlocks -= old.digest.blockHashes.length;
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
