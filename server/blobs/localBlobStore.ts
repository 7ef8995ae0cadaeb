import { randomBytes } from 'node:crypto';
import { constants, mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApiError } from '../errors.js';
import type { BlobStore, ByteRange, ByteSource, ChunkVerifier, SmallBlob, StagingPlan } from './blobStore.js';
import { DirectorySyncer, syncDirectory } from './directorySyncer.js';
import { consumeExactly } from './exactLength.js';

const HASH = /^[0-9a-f]{64}$/;
const STAGING_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Socket pieces are ~64 KiB; gathering them into ~1 MiB writes keeps syscalls few without copying. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/**
 * A small blob's temp file is created with O_DSYNC: its one write returns
 * once the bytes (and the metadata needed to read them) are on the disk, so
 * open + write + close replaces open + write + fdatasync + close. Where the
 * platform has no O_DSYNC, writeFile's `flush` fsyncs before closing.
 */
const DURABLE_NEW_FILE = constants.O_DSYNC === undefined
  ? { flag: 'wx', flush: true }
  : { flag: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC };

export interface LocalBlobStoreOptions {
  /** Makes a directory's entries durable (fsync); a port so tests can see which and when. */
  syncDirectory?: (dir: string) => Promise<void>;
}

/**
 * Blobs as files under `<root>/blobs/ab/cd/<hash>`; staging files under
 * `<root>/staging/<uploadId>`, preallocated to the upload's size and written
 * at chunk offsets. Blobs appear only by rename after fsync, so a reader never
 * sees a partial blob, even after a crash.
 *
 * Which fsync covers what (a blob is durable, and the caller may commit an
 * entry that points at it, only when all of these returned):
 * - the blob's bytes: fdatasync of the temp file before its rename (a small
 *   blob: its O_DSYNC write; a staged upload: `commitStaging`'s fsync);
 * - its name: fsync of `ab/cd/` after the rename, once per directory per
 *   batch, and shared with concurrent batches (DirectorySyncer);
 * - the path to it: the first time this process uses `ab/cd/`, fsync of
 *   `ab/` (and of `blobs/` for `ab/` itself), whether the directory was just
 *   created or found (a crashed earlier process may have created it without
 *   that fsync). Later batches skip the mkdir and this fsync.
 * Staging files need no directory fsync: a staged upload is recorded as
 * received only after `flushStaging`, and a staging file lost by a crash is
 * an upload to resume, never a committed entry.
 */
export class LocalBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly stagingDir: string;
  private readonly syncer: DirectorySyncer;
  /** Blob directories this process made durable (or is making durable), by path. */
  private readonly readyDirs = new Map<string, Promise<void>>();

  constructor(root: string, options: LocalBlobStoreOptions = {}) {
    this.blobsDir = join(root, 'blobs');
    this.stagingDir = join(root, 'staging');
    mkdirSync(this.blobsDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.stagingDir, { recursive: true, mode: 0o700 });
    this.syncer = new DirectorySyncer(options.syncDirectory ?? syncDirectory);
  }

  async createStaging(uploadId: string, plan: StagingPlan): Promise<void> {
    const handle = await open(this.stagingPath(uploadId), 'wx', 0o600);
    try {
      await handle.truncate(plan.size);
    } finally {
      await handle.close();
    }
  }

  async writeChunk(uploadId: string, offset: number, length: number, source: ByteSource, verify: ChunkVerifier): Promise<void> {
    const handle = await open(this.stagingPath(uploadId), 'r+');
    let inFlight: Promise<void> = Promise.resolve();
    try {
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      let position = offset;
      // One write in flight while the next batch arrives: disk and network overlap.
      const flush = async (): Promise<void> => {
        await inFlight;
        inFlight = writeAllAt(handle, batch, position);
        // Observed now so a failure is not reported as unhandled; it still surfaces at the next await.
        inFlight.catch(() => {});
        position += batchBytes;
        batch = [];
        batchBytes = 0;
      };
      await consumeExactly(source, length, async (piece) => {
        verify.update(piece);
        batch.push(piece);
        batchBytes += piece.length;
        if (batchBytes >= WRITE_BATCH_BYTES) await flush();
      });
      await flush();
      await inFlight;
      verify.finish();
    } finally {
      await inFlight.catch(() => {});
      await handle.close();
    }
  }

  async flushStaging(uploadId: string): Promise<void> {
    const handle = await open(this.stagingPath(uploadId), 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** A staging file's regions do not say which were written. */
  async stagedChunks(): Promise<null> {
    return null;
  }

  async commitStaging(uploadId: string, contentHash: string): Promise<void> {
    const from = this.stagingPath(uploadId);
    const handle = await open(from, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.moveIntoPlace([{ from, contentHash }]);
  }

  async abortStaging(uploadId: string): Promise<void> {
    await rm(this.stagingPath(uploadId), { force: true });
  }

  async sweepStaging(olderThan: number, owned: (uploadId: string) => Promise<boolean>): Promise<number> {
    let dropped = 0;
    for (const name of await readdir(this.stagingDir)) {
      const path = join(this.stagingDir, name);
      const info = await stat(path).catch(() => null);
      if (!info || info.mtimeMs >= olderThan || (STAGING_ID.test(name) && await owned(name))) continue;
      await rm(path, { force: true });
      dropped += 1;
    }
    return dropped;
  }

  async putSmall(contentHash: string, bytes: Uint8Array): Promise<void> {
    await this.putSmallMany([{ contentHash, bytes }]);
  }

  /** Every blob's bytes go durably into a temp file first; then all are moved into place together. */
  async putSmallMany(blobs: readonly SmallBlob[]): Promise<void> {
    for (const { contentHash } of blobs) this.blobPath(contentHash);
    const temps = blobs.map(({ contentHash }) => ({ from: join(this.stagingDir, `small-${randomBytes(12).toString('hex')}`), contentHash }));
    try {
      await Promise.all(blobs.map(({ bytes }, i) => writeFile(temps[i]!.from, bytes, { ...DURABLE_NEW_FILE, mode: 0o600 })));
      await this.moveIntoPlace(temps);
    } catch (error) {
      // Those already renamed are gone from staging: force makes that a no-op.
      await Promise.all(temps.map(({ from }) => rm(from, { force: true })));
      throw error;
    }
  }

  async has(contentHash: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(contentHash))).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async read(contentHash: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    let handle: FileHandle;
    try {
      handle = await open(this.blobPath(contentHash), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ApiError('not_found', 'the content is not stored');
      throw error;
    }
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(contentHash: string): Promise<void> {
    try {
      await unlink(this.blobPath(contentHash));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /**
   * Renames durable temp files to their blob paths and makes the new names
   * durable: one fsync per distinct directory, after every rename into it.
   */
  private async moveIntoPlace(moves: readonly { from: string; contentHash: string }[]): Promise<void> {
    const targets = moves.map(({ from, contentHash }) => ({ from, to: this.blobPath(contentHash) }));
    const dirs = [...new Set(targets.map(({ to }) => dirname(to)))];
    await Promise.all(dirs.map((dir) => this.readyDir(dir)));
    // Same hash, same bytes: replacing a blob that raced in is harmless.
    await Promise.all(targets.map(({ from, to }) => rename(from, to)));
    await Promise.all(dirs.map((dir) => this.syncer.sync(dir)));
  }

  /** `blobs/ab/cd` exists and its entry in `ab` (and `ab`'s in `blobs`) is durable; once per directory per process. */
  private readyDir(dir: string): Promise<void> {
    let ready = this.readyDirs.get(dir);
    if (!ready) {
      const parent = dirname(dir);
      ready = (async () => {
        if (parent !== this.blobsDir) await this.readyDir(parent);
        await mkdir(dir, { mode: 0o700 }).catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        });
        await this.syncer.sync(parent);
      })();
      // A failure (disk full, I/O error) is not remembered: the next batch tries again.
      ready.catch(() => this.readyDirs.delete(dir));
      this.readyDirs.set(dir, ready);
    }
    return ready;
  }

  private blobPath(contentHash: string): string {
    if (!HASH.test(contentHash)) throw new Error(`not a content hash: ${contentHash}`);
    return join(this.blobsDir, contentHash.slice(0, 2), contentHash.slice(2, 4), contentHash);
  }

  private stagingPath(uploadId: string): string {
    if (!STAGING_ID.test(uploadId)) throw new Error(`not an upload id: ${uploadId}`);
    return join(this.stagingDir, uploadId);
  }
}

async function writeAllAt(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    pending = dropBytes(pending, bytesWritten);
  }
}

/** The buffers left after the first `count` bytes were written (short writes are rare but legal). */
function dropBytes(buffers: Uint8Array[], count: number): Uint8Array[] {
  let skip = count;
  const rest: Uint8Array[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}
