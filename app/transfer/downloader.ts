import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SyncError } from '../errors.js';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';
import type { Job } from '../db/stateStore.js';
import { placedNode, sameLocalState, statLocal } from '../local/localPaths.js';
import type { LocalFileHandle, LocalFs } from '../local/localFs.js';
import { conflictedCopyName } from '../sync/conflictName.js';
import type { LocalNode, RemoteNode } from '../model.js';
import { runParallel } from '../base/parallel.js';
import { ensurePartialDir, partialFileOf } from './partialFiles.js';
import { throttle } from './throttle.js';
import type { TransferContext } from './transferContext.js';

/** Range size of one download chunk. Two 4 MiB blocks: few requests, little lost on a cut. */
export const DOWNLOAD_CHUNK_BYTES = 8 * 1024 * 1024;

export interface DownloadOp {
  path: string;
  remote: RemoteNode;
  expectLocal: LocalNode | null;
}

interface DownloadPayload {
  contentHash?: string;
}

/**
 * Fetches one file with parallel Range reads written at their offsets into a
 * partial file on the sync folder's disk (see partialDirOf), persisting each finished chunk so a restart
 * resumes. The whole is then fsync'd and verified against the content hash,
 * and renamed into place only if the local file is still what the plan saw.
 */
export async function downloadFile(ctx: TransferContext, job: Job, op: DownloadOp, signal: AbortSignal): Promise<LocalNode> {
  const { remote } = op;
  const contentHash = remote.contentHash;
  if (contentHash === null) throw new SyncError('internal', `${op.path} is not a file on the service`);
  const { fs } = ctx.paths;
  await ensurePartialDir(fs, ctx.partialDir);
  const partial = partialFileOf(ctx.partialDir, job.id);
  const chunkCount = Math.ceil(remote.size / DOWNLOAD_CHUNK_BYTES);

  const payload = job.payload as DownloadPayload;
  if (payload.contentHash !== contentHash || !(await exists(fs, partial))) {
    await fs.rm(partial, { force: true });
    ctx.jobs.setJobPayload(job.id, { ...job.payload, contentHash }, ctx.clock.now(), chunkCount);
  }
  // An empty or sparse file of the right size; chunks fill it in at their offsets.
  const handle = await fs.open(partial, 'a').catch((error: unknown) => { throw syncErrorFromFs(error, partial); });
  await handle.close();

  try {
    const pending = ctx.jobs.pendingChunks(job.id);
    const doneBytes = (chunkCount - pending.length) * DOWNLOAD_CHUNK_BYTES;
    if (doneBytes > 0) ctx.onBytes(job.id, Math.min(doneBytes, remote.size));
    await runParallel(pending, ctx.chunkConcurrency, async (n, chunkSignal) => {
      const start = n * DOWNLOAD_CHUNK_BYTES;
      const end = Math.min(remote.size, start + DOWNLOAD_CHUNK_BYTES) - 1;
      const answer = await ctx.remote.download(op.path, { range: { start, end }, signal: chunkSignal });
      if (answer.contentHash !== contentHash) {
        answer.body.destroy();
        throw new SyncError('conflict', `${op.path} changed on the service during the download`, { path: op.path, retryable: false });
      }
      const file = await fs.open(partial, 'r+');
      let written = 0;
      try {
        const out = writerAt(file, start, (bytes) => { written += bytes; });
        await pipeline(answer.body, throttle(ctx.download, (bytes) => ctx.onBytes(job.id, bytes), chunkSignal), out, { signal: chunkSignal });
      } finally {
        await file.close();
      }
      if (written !== end - start + 1) {
        throw new SyncError('network', `the service sent ${written} bytes of ${op.path} where ${end - start + 1} were asked`, { retryable: true });
      }
      ctx.jobs.markChunkDone(job.id, n);
    }, signal);

    const fileHandle = await fs.open(partial, 'r+');
    try {
      await fileHandle.truncate(remote.size);
      await fileHandle.sync();
    } finally {
      await fileHandle.close();
    }
    const digest = await ctx.hasher.hashFile(partial, signal);
    if (digest.contentHash !== contentHash) {
      await discard(ctx, job, partial, chunkCount);
      throw new SyncError('hash_mismatch', `the downloaded bytes of ${op.path} do not match their hash; it will be fetched again`, { path: op.path, retryable: true });
    }
    return await placeDownload(ctx, op, partial);
  } catch (error) {
    if (error instanceof SyncError) {
      // Out of space, or a local change made this download stale: free the bytes now.
      if (error.code === 'disk_full' || error.code === 'file_changed') await discard(ctx, job, partial, chunkCount);
      throw error;
    }
    const mapped = syncErrorFromFs(error, partial);
    if (mapped.code === 'disk_full') await discard(ctx, job, partial, chunkCount);
    throw mapped;
  }
}

/** The atomic step: only if the target is still what the plan saw; a new file never clobbers one that appeared meanwhile. */
export async function placeDownload(ctx: Pick<TransferContext, 'paths' | 'hasher' | 'clock' | 'host'>, op: DownloadOp, partial: string): Promise<LocalNode> {
  const { fs } = ctx.paths;
  const target = await ctx.paths.forChange(op.path);
  if (!sameLocalState(await statLocal(fs, target, op.path), op.expectLocal)) {
    throw new SyncError('file_changed', `${op.path} changed locally during the download; both versions will be kept`, { path: op.path, retryable: false });
  }
  const mtime = new Date(op.remote.mtime);
  // The service's mtime is a hint from another machine: one this disk cannot store (out of its range) leaves the download's own.
  await fs.utimes(partial, mtime, mtime).catch((error: unknown) => { if (errnoCode(error) !== 'EINVAL') throw error; });
  const downloaded = await statLocal(fs, partial, op.path);
  if (!downloaded) throw new SyncError('file_changed', `the download of ${op.path} vanished before it was placed`, { path: op.path, retryable: true });
  try {
    if (op.expectLocal?.kind === 'file') await setAsideReplaced(ctx, op, op.expectLocal, target, `${partial}.replaced`);
    if (op.expectLocal?.kind === 'folder') {
      await fs.rename(partial, target);
    } else {
      // link never overwrites: a file that appeared meanwhile stays, and the next plan keeps both.
      await fs.link(partial, target);
      await fs.unlink(partial);
    }
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') {
      throw new SyncError('file_changed', `${op.path} appeared locally during the download; both versions will be kept`, { path: op.path, retryable: false });
    }
    if (error instanceof SyncError) throw error;
    throw syncErrorFromFs(error, target);
  }
  const placed = await statLocal(fs, target, op.path);
  if (!placed) throw new SyncError('file_changed', `${op.path} vanished right after the download`, { path: op.path, retryable: false });
  return placedNode(placed, downloaded, op.remote.contentHash);
}

/**
 * Takes the old version out of the way in one atomic rename, then checks that
 * what moved is the version the plan saw: the check before the rename leaves
 * a gap in which the user may have saved again, and a rename over the file
 * would have lost that save. A version that is not the expected one goes back
 * (or, if its place was taken meanwhile, next to it as a conflicted copy).
 */
async function setAsideReplaced(ctx: Pick<TransferContext, 'paths' | 'hasher' | 'clock' | 'host'>, op: DownloadOp, expected: LocalNode, target: string, aside: string): Promise<void> {
  const { fs } = ctx.paths;
  await fs.rename(target, aside);
  let digest: string | null = null;
  try {
    digest = (await ctx.hasher.hashFile(aside)).contentHash;
  } catch {
    // Unreadable now: treat it as changed and put it back.
  }
  if (digest !== null && digest === expected.contentHash) {
    // The synced version (safe on the service): it is no longer needed.
    await fs.unlink(aside);
    return;
  }
  try {
    await fs.link(aside, target);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    await fs.link(aside, await ctx.paths.forChange(conflictedCopyName(op.path, ctx.host, new Date(ctx.clock.now()))));
  }
  await fs.unlink(aside);
  throw new SyncError('file_changed', `${op.path} changed locally during the download; both versions will be kept`, { path: op.path, retryable: false });
}

/** Frees the partial file and forgets its chunks, so the next attempt starts clean. */
async function discard(ctx: TransferContext, job: Job, partial: string, chunkCount: number): Promise<void> {
  await ctx.paths.fs.rm(partial, { force: true });
  ctx.jobs.setJobPayload(job.id, { ...job.payload, contentHash: undefined }, ctx.clock.now(), chunkCount);
}

async function exists(fs: LocalFs, path: string): Promise<boolean> {
  return fs.stat(path).then(() => true, () => false);
}

/** A stream that writes what it is given into `file` from `start` on, in order; `onWritten` counts the bytes. */
function writerAt(file: LocalFileHandle, start: number, onWritten: (bytes: number) => void): Writable {
  let position = start;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const at = position;
      position += chunk.length;
      writeFully(file, chunk, at).then(() => {
        onWritten(chunk.length);
        done();
      }, done);
    },
  });
}

/** write(2) may take fewer bytes than given (a disk filling up): the rest goes in further calls, or the error does. */
async function writeFully(file: LocalFileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten === 0) throw new SyncError('io_error', 'the disk took none of the downloaded bytes', { retryable: true });
    done += bytesWritten;
  }
}
