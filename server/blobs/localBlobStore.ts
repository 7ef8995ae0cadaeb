import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { ApiError } from '../errors.js';
import type { BlobStore, ByteRange, ByteSource, ChunkVerifier, SmallBlob, StagedChunk, StagingPlan } from './blobStore.js';
import { FsyncCoalescer, syncDirectory, syncFileData } from './fsyncCoalescer.js';
import { consumeExactly } from './exactLength.js';
import { SmallBlobPack } from './smallBlobPack.js';

const HASH = /^[0-9a-f]{64}$/;
const STAGING_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Socket pieces are ~64 KiB; gathering them into ~1 MiB writes keeps syscalls few without copying. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** The small-blob database, inside the blob folder (no `ab/` folder has a dot in its name). */
export const SMALL_BLOB_PACK = 'small.sqlite';

export interface LocalBlobStoreOptions {
  /** Makes a directory's entries durable (fsync); a port so tests can see which and when. */
  syncDirectory?: (dir: string) => Promise<void>;
  /** Makes a file's written bytes durable (fdatasync; the small-blob database's log); a port for the same reason. */
  syncFileData?: (file: string) => Promise<void>;
}

/**
 * Blobs of chunked uploads as files under `<root>/blobs/ab/cd/<hash>`;
 * staging files under `<root>/staging/<uploadId>`, preallocated to the
 * upload's size and written at chunk offsets. Small blobs (`putSmall`,
 * `putSmallMany`) are rows of `<root>/blobs/small.sqlite` (SmallBlobPack).
 * Blob files appear only by rename after fsync and pack rows only by commit,
 * so a reader never sees a partial blob, even after a crash.
 *
 * Which fsync covers what (a blob is durable, and the caller may commit an
 * entry that points at it, only when all of these returned):
 * - a small blob: the pack's commit and an fdatasync of its write-ahead log
 *   that began after it (one per `putSmallMany` at most, whatever the number
 *   of blobs, shared with concurrent ones; SmallBlobPack);
 * - a blob file's bytes: `commitStaging`'s fsync of the staging file before
 *   its rename;
 * - its name: fsync of `ab/cd/` after the rename, shared with concurrent
 *   commits into the same directory (FsyncCoalescer);
 * - the path to it: the first time this process uses `ab/cd/`, fsync of
 *   `ab/` (and of `blobs/` for `ab/` itself), whether the directory was just
 *   created or found (a crashed earlier process may have created it without
 *   that fsync). Later commits skip the mkdir and this fsync.
 * Staging files need no directory fsync: a staged upload is recorded as
 * received only after `flushStaging`, and a staging file lost by a crash is
 * an upload to resume, never a committed entry.
 */
export class LocalBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly stagingDir: string;
  private readonly syncer: FsyncCoalescer;
  /** Blob directories this process made durable (or is making durable), by path. */
  private readonly readyDirs = new Map<string, Promise<void>>();
  private readonly pack: SmallBlobPack;

  constructor(root: string, options: LocalBlobStoreOptions = {}) {
    this.blobsDir = join(root, 'blobs');
    this.stagingDir = join(root, 'staging');
    mkdirSync(this.blobsDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.stagingDir, { recursive: true, mode: 0o700 });
    const directory = options.syncDirectory ?? syncDirectory;
    this.syncer = new FsyncCoalescer(directory);
    this.pack = new SmallBlobPack(join(this.blobsDir, SMALL_BLOB_PACK), { directory, fileData: options.syncFileData ?? syncFileData });
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

  async confirmStaged(uploadId: string, chunks: readonly StagedChunk[]): Promise<number[]> {
    if (chunks.length === 0) return [];
    // Durable first: what is read back afterwards is what a crash would leave.
    await this.flushStaging(uploadId);
    const handle = await open(this.stagingPath(uploadId), 'r');
    try {
      const intact: number[] = [];
      for (const { n, offset, length, verifier } of [...chunks].sort((a, b) => a.n - b.n)) {
        if (await readsBack(handle, offset, length, verifier)) intact.push(n);
      }
      return intact;
    } finally {
      await handle.close();
    }
  }

  async commitStaging(uploadId: string, contentHash: string): Promise<void> {
    const from = this.stagingPath(uploadId);
    const handle = await open(from, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.moveIntoPlace(from, contentHash);
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

  /** All in one pack transaction: durable together, with one log fsync. */
  async putSmallMany(blobs: readonly SmallBlob[]): Promise<void> {
    for (const { contentHash } of blobs) this.blobPath(contentHash);
    await this.pack.putMany(blobs);
  }

  async has(contentHash: string): Promise<boolean> {
    if (this.pack.has(checkedHash(contentHash))) return true;
    try {
      return (await stat(this.blobPath(contentHash))).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async read(contentHash: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    const small = this.pack.get(checkedHash(contentHash));
    if (small) return Readable.from([range ? small.subarray(range.start, range.end + 1) : small], { objectMode: false });
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
    await this.pack.delete(checkedHash(contentHash));
    try {
      await unlink(this.blobPath(contentHash));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** Renames a durable staging file to its blob path and makes the new name durable: an fsync of its directory, after the rename. */
  private async moveIntoPlace(from: string, contentHash: string): Promise<void> {
    const to = this.blobPath(contentHash);
    const dir = dirname(to);
    await this.readyDir(dir);
    // Same hash, same bytes: replacing a blob that raced in is harmless.
    await rename(from, to);
    await this.syncer.sync(dir);
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
      // A failure (disk full, I/O error) is not remembered: the next commit tries again.
      ready.catch(() => this.readyDirs.delete(dir));
      this.readyDirs.set(dir, ready);
    }
    return ready;
  }

  /** Closes the small-blob database. */
  close(): void {
    this.pack.close();
  }

  private blobPath(contentHash: string): string {
    checkedHash(contentHash);
    return join(this.blobsDir, contentHash.slice(0, 2), contentHash.slice(2, 4), contentHash);
  }

  private stagingPath(uploadId: string): string {
    if (!STAGING_ID.test(uploadId)) throw new Error(`not an upload id: ${uploadId}`);
    return join(this.stagingDir, uploadId);
  }
}

/** Whether the `length` bytes at `offset` pass `verifier`. */
async function readsBack(handle: FileHandle, offset: number, length: number, verifier: ChunkVerifier): Promise<boolean> {
  const buffer = Buffer.allocUnsafe(Math.min(length, WRITE_BATCH_BYTES));
  for (let done = 0; done < length;) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, length - done), offset + done);
    if (bytesRead === 0) return false;
    verifier.update(buffer.subarray(0, bytesRead));
    done += bytesRead;
  }
  try {
    verifier.finish();
    return true;
  } catch {
    return false;
  }
}

function checkedHash(contentHash: string): string {
  if (!HASH.test(contentHash)) throw new Error(`not a content hash: ${contentHash}`);
  return contentHash;
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
