import { existsSync, type Stats } from 'node:fs';
import { stat as fsStat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { BLOCK_SIZE, contentHashOfBlocks, type ContentDigest } from '../../protocol/contentHash.js';
import { sameVersion, type HashFileResult, type HashFilesTask, type HashRangeResult, type HashRangeTask } from '../../protocol/hashWorker.js';
import { SyncError } from '../errors.js';
import { syncErrorFromFs } from '../fsErrors.js';
import type { Hasher, SmallFileRead } from './hasher.js';
import { planHashRanges } from './hashRanges.js';
import { hashWorkerPath } from './workerPath.js';

export interface PiscinaHasherOptions {
  /** Worker threads; defaults to os.availableParallelism(). */
  threads?: number;
  /** Compiled worker script; defaults to dist/native-workers/hashWorker.js. */
  workerPath?: string;
  /** The stat used before and after reading a multi-block file: a port so tests can change the file at a known moment. */
  stat?: (absPath: string) => Promise<Stats>;
}

/**
 * Block digests of recently hashed multi-block files kept in memory (at most
 * this many digests, ~100 bytes each: 256 GiB of files in ~7 MB): a large
 * file hashed by the scan is then not read a second time by its upload.
 */
const MEMO_MAX_BLOCKS = 65_536;

/**
 * Files of up to one block are hashed whole in a worker, many per task: for a
 * folder of small files the per-file cost on the engine's thread (two stats
 * and a task message each) was most of the hashing time, and the workers sat
 * idle waiting for it.
 */
const SMALL_FILE_BYTES = BLOCK_SIZE;
/** Paths per task at most: a batch is answered, and its callers go on, within a few ms. */
const FILES_PER_TASK = 64;

interface QueuedFile {
  path: string;
  keepBytes: boolean;
  resolve(result: HashFileResult): void;
  reject(error: unknown): void;
}

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
  /** Two entry points (see native-workers/hashWorker.ts): `runRange` and `runFiles` type each. */
  private readonly pool: Piscina<HashRangeTask | HashFilesTask, HashRangeResult | HashFileResult[]>;
  private readonly stat: (absPath: string) => Promise<Stats>;
  /** Path -> last digest, oldest first (a Map keeps insertion order). */
  private readonly memo = new Map<string, Memo>();
  private memoBlocks = 0;
  /** Small-file requests made in this turn of the event loop, sent together at its end. */
  private queued: QueuedFile[] = [];

  constructor(options: PiscinaHasherOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    this.stat = options.stat ?? fsStat;
    const filename = options.workerPath ?? hashWorkerPath();
    if (!existsSync(filename)) throw new SyncError('internal', `the hashing worker ${filename} is missing: build the project first (npm run build)`);
    this.pool = new Piscina<HashRangeTask | HashFilesTask, HashRangeResult | HashFileResult[]>({
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
    const small = await this.wholeIfSmall(absPath, false, signal);
    switch (small.status) {
      case 'hashed': return digestOf(small.blockHashes, small.file.size);
      case 'large': return this.hashLarge(absPath, signal);
      case 'changed': throw changed(absPath);
      case 'not_file': throw notAFile(absPath);
      // A symlink in the file's place: something changed it since the walk.
      case 'error': throw small.code === 'ELOOP' ? changed(absPath) : syncErrorFromFs(fsError(small), absPath);
    }
  }

  async readSmallFile(absPath: string, signal?: AbortSignal): Promise<SmallFileRead> {
    const small = await this.wholeIfSmall(absPath, true, signal);
    if (small.status === 'error') throw fsError(small);
    if (small.status !== 'hashed' || !small.bytes) throw changed(absPath);
    return { bytes: small.bytes, digest: digestOf(small.blockHashes, small.file.size), file: small.file };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async wholeIfSmall(absPath: string, keepBytes: boolean, signal: AbortSignal | undefined): Promise<HashFileResult> {
    if (signal?.aborted) throw aborted(absPath);
    const result = await new Promise<HashFileResult>((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.sendQueued());
      this.queued.push({ path: absPath, keepBytes, resolve, reject });
    });
    if (signal?.aborted) throw aborted(absPath);
    return result;
  }

  /** One task per thread at least, so a burst of small files keeps every worker busy. */
  private sendQueued(): void {
    const queued = this.queued;
    this.queued = [];
    for (const keepBytes of [false, true]) {
      const wanted = queued.filter((file) => file.keepBytes === keepBytes);
      const perTask = Math.min(FILES_PER_TASK, Math.ceil(wanted.length / this.threads));
      for (let first = 0; first < wanted.length; first += perTask) this.sendTask(wanted.slice(first, first + perTask), keepBytes);
    }
  }

  private sendTask(group: QueuedFile[], keepBytes: boolean): void {
    const task: HashFilesTask = { paths: group.map((file) => file.path), maxBytes: SMALL_FILE_BYTES, keepBytes };
    this.runFiles(task).then(
      (results: HashFileResult[]) => group.forEach((file, i) => file.resolve(results[i]!)),
      (error: unknown) => group.forEach((file) => file.reject(error)),
    );
  }

  private runFiles(task: HashFilesTask): Promise<HashFileResult[]> {
    return this.pool.run(task, { name: 'hashFiles' }) as Promise<HashFileResult[]>;
  }

  private runRange(task: HashRangeTask, signal: AbortSignal | null): Promise<HashRangeResult> {
    return this.pool.run(task, { signal }) as Promise<HashRangeResult>;
  }

  /** A multi-block file: cut into ranges hashed on every thread, stat-ed before and after on this one. */
  private async hashLarge(absPath: string, signal?: AbortSignal): Promise<ContentDigest> {
    const before = await this.statFile(absPath);
    const known = this.memo.get(absPath);
    if (known && sameVersion(known.stats, before) && known.stats.ctimeMs === before.ctimeMs) return known.digest;
    const ranges = planHashRanges(before.size, this.threads);
    let results: HashRangeResult[];
    try {
      // One signal per task: piscina adds an abort listener per task, and a
      // 1 GiB file's 16 ranges on the caller's signal tripped Node's
      // 10-listener leak warning. A dependent signal adds none to its source.
      results = await Promise.all(ranges.map((range) => this.runRange({ path: absPath, ...range }, signal ? AbortSignal.any([signal]) : null)));
    } catch (error) {
      if (signal?.aborted) throw aborted(absPath, error);
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
    const digest = digestOf(results.flatMap((r) => r.blockHashes), before.size);
    this.remember(absPath, { stats: before, digest });
    return digest;
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
    if (!stats.isFile()) throw notAFile(absPath);
    return stats;
  }
}

function changed(absPath: string, cause?: unknown): SyncError {
  return new SyncError('file_changed', `${absPath} changed while it was being hashed`, { path: absPath, retryable: true, cause });
}

function notAFile(absPath: string): SyncError {
  return new SyncError('not_found', `${absPath} is not a regular file`, { path: absPath });
}

function aborted(absPath: string, cause?: unknown): SyncError {
  return new SyncError('aborted', `hashing ${absPath} was cancelled`, { path: absPath, cause });
}

function digestOf(blockHashes: string[], size: number): ContentDigest {
  return { contentHash: contentHashOfBlocks(blockHashes), blockHashes, size };
}

/** A worker's failed open or read as the Error node:fs would have thrown: the errno code survives the thread hop. */
function fsError(failure: { code: string | null; message: string }): Error {
  return Object.assign(new Error(failure.message), failure.code ? { code: failure.code } : {});
}
