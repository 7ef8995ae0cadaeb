import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApiError } from '../errors.js';
import type { BlobStore, ByteRange, ByteSource, ChunkVerifier, StagingPlan } from './blobStore.js';
import { consumeExactly } from './exactLength.js';

const HASH = /^[0-9a-f]{64}$/;
const STAGING_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Socket pieces are ~64 KiB; gathering them into ~1 MiB writes keeps syscalls few without copying. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Blobs as files under `<root>/blobs/ab/cd/<hash>`; staging files under
 * `<root>/staging/<uploadId>`, preallocated to the upload's size and written
 * at chunk offsets. Blobs appear only by rename after fsync, so a reader never
 * sees a partial blob, even after a crash.
 */
export class LocalBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly stagingDir: string;

  constructor(root: string) {
    this.blobsDir = join(root, 'blobs');
    this.stagingDir = join(root, 'staging');
    mkdirSync(this.blobsDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.stagingDir, { recursive: true, mode: 0o700 });
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
    const temp = join(this.stagingDir, `small-${randomBytes(12).toString('hex')}`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await this.moveIntoPlace(temp, contentHash);
    } catch (error) {
      await rm(temp, { force: true });
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

  private async moveIntoPlace(from: string, contentHash: string): Promise<void> {
    const to = this.blobPath(contentHash);
    await mkdir(dirname(to), { recursive: true, mode: 0o700 });
    // Same hash, same bytes: replacing a blob that raced in is harmless.
    await rename(from, to);
    await syncDir(dirname(to));
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

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
