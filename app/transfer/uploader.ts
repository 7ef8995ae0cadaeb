import { Readable } from 'node:stream';
import { SyncError, isSyncError } from '../errors.js';
import type { Job } from '../db/stateStore.js';
import { sameLocalState, statLocal } from '../local/localPaths.js';
import type { LocalFileHandle } from '../local/localFs.js';
import type { LocalNode, RemoteNode } from '../model.js';
import { atPath } from '../remote/remoteErrors.js';
import type { ChunkBody, CreateUploadRequest, UploadStatus } from '../remote/remoteStore.js';
import { runParallel } from '../base/parallel.js';
import { throttle } from './throttle.js';
import type { TransferContext } from './transferContext.js';

export interface UploadOp {
  path: string;
  local: LocalNode;
  ifRev: string | null;
}

/** What an upload job remembers across restarts: the service session and what it was for. */
interface UploadPayload {
  uploadId?: string;
  contentHash?: string;
}

/** Slices a throttled chunk is paid in, so a rate limit is honoured smoothly rather than a chunk at a time. */
const THROTTLE_PIECE = 1024 * 1024;

function fileChanged(path: string): SyncError {
  return new SyncError('file_changed', `${path} changed while it was being uploaded; it will be sent again`, { path, retryable: false });
}

/**
 * Sends one file: session (or instant upload with a possession proof) ->
 * the chunks the service does not have yet, in parallel -> complete with the
 * base rev as precondition. The session id is persisted before the first
 * chunk, so a restart resumes it and re-sends at most the chunks in flight.
 */
export async function uploadFile(ctx: TransferContext, job: Job, op: UploadOp, signal: AbortSignal): Promise<RemoteNode> {
  const abs = ctx.paths.abs(op.path);
  const payload = job.payload as UploadPayload;
  const changed = async () => !sameLocalState(await statLocal(ctx.paths.fs, abs, op.path), op.local);
  if (await changed()) throw await dropSession(ctx, job, payload.uploadId, op.path);
  const digest = await ctx.hasher.hashFile(abs, signal);
  if (digest.contentHash !== op.local.contentHash) throw await dropSession(ctx, job, payload.uploadId, op.path);
  const request: CreateUploadRequest = {
    path: op.path,
    size: digest.size,
    contentHash: digest.contentHash,
    blockHashes: digest.blockHashes,
    mtime: op.local.mtime,
    ifRev: op.ifRev,
  };

  let status = payload.uploadId && payload.contentHash === digest.contentHash
    ? await resumeStatus(ctx, payload.uploadId, signal)
    : null;
  if (!status) {
    let start = await ctx.remote.createUpload(request, signal);
    if (start.status === 'challenge') start = await ctx.remote.answerChallenge(request, start.challenge, abs, signal);
    if (start.status === 'done') return start.node;
    if (start.status === 'challenge') throw new SyncError('service', 'the service asked for a second possession proof', { retryable: true });
    status = start;
    ctx.jobs.setJobPayload(job.id, { ...job.payload, uploadId: start.uploadId, contentHash: digest.contentHash }, ctx.clock.now(), start.chunkCount);
  }
  const session = status;
  for (const n of session.received) ctx.jobs.markChunkDone(job.id, n);
  const received = new Set(session.received);
  const missing = Array.from({ length: session.chunkCount }, (_, n) => n).filter((n) => !received.has(n));
  // Bytes the service already has count as done for progress.
  const alreadyThere = session.received.reduce((sum, n) => sum + chunkLength(n, session.chunkSize, digest.size), 0);
  if (alreadyThere > 0) ctx.onBytes(job.id, alreadyThere);

  // One buffer per chunk in flight, reused: a fresh read buffer per piece cost ~0.7 s of GC per GiB.
  const buffers: Buffer[] = [];
  let file: LocalFileHandle | undefined;
  try {
    file = await ctx.paths.fs.open(abs, 'r');
    const reading = file;
    await runParallel(missing, ctx.chunkConcurrency, async (n, chunkSignal) => {
      const buffer = buffers.pop() ?? Buffer.allocUnsafe(Math.min(session.chunkSize, digest.size));
      try {
        const bytes = await readChunk(reading, buffer.subarray(0, chunkLength(n, session.chunkSize, digest.size)), n * session.chunkSize, op.path);
        let sent = 0;
        await sendChunk(ctx, session.uploadId, n, chunkSignal, () => ctx.remote.putChunk(session.uploadId, n, chunkBody(ctx, bytes, chunkSignal), {
          signal: chunkSignal,
          onProgress: (total) => {
            if (total > sent) ctx.onBytes(job.id, total - sent);
            sent = Math.max(sent, total);
          },
        }));
      } finally {
        buffers.push(buffer);
      }
      ctx.jobs.markChunkDone(job.id, n);
    }, signal);
  } catch (error) {
    // A chunk refused for its size or hashes is a file edited mid-upload, not a service failure.
    if (!signal.aborted && await changed()) throw await dropSession(ctx, job, session.uploadId, op.path);
    throw error;
  } finally {
    await file?.close();
  }
  if (await changed()) throw await dropSession(ctx, job, session.uploadId, op.path);
  return atPath(await ctx.remote.completeUpload(session.uploadId, signal), op.path);
}

/** Gives up the session (if any) of a file that changed under it, and says so; the next plan uploads the new content. */
async function dropSession(ctx: TransferContext, job: Job, uploadId: string | undefined, path: string): Promise<SyncError> {
  if (uploadId) {
    await ctx.remote.abortUpload(uploadId).catch(() => {});
    ctx.jobs.setJobPayload(job.id, { ...job.payload, uploadId: undefined, contentHash: undefined }, ctx.clock.now(), 0);
  }
  return fileChanged(path);
}

/** Waits before a chunk is tried again on its own: 50, 200, 800 ms. */
const CHUNK_RETRY_WAITS_MS = [50, 200, 800];

/**
 * Sends chunk `n`, trying it again on its own when the service said another
 * request still holds it (chunk_busy) or the connection failed. Typically that
 * other request is this client's own, cut off by a pause or a dropped
 * connection and not yet finished at the service (which reads a busy chunk's
 * body so the 409 arrives; a service that closes instead shows it as a reset).
 * Failing the chunk would abort its siblings in flight and send their bytes
 * again. Before each new try the service is asked whether the chunk landed
 * after all; what still fails after the last try fails the file.
 */
async function sendChunk(ctx: TransferContext, uploadId: string, n: number, signal: AbortSignal, put: () => Promise<unknown>): Promise<void> {
  for (const wait of [...CHUNK_RETRY_WAITS_MS, null]) {
    try {
      await put();
      return;
    } catch (error) {
      const worthAnotherTry = isSyncError(error) && (error.code === 'network' || error.detail.serviceCode === 'chunk_busy');
      if (wait === null || signal.aborted || !worthAnotherTry) throw error;
    }
    await ctx.clock.sleep(wait, signal);
    if ((await ctx.remote.uploadStatus(uploadId, signal)).received.includes(n)) return;
  }
}

/** Fills `into` from `position`; a file shorter than when it was hashed has changed. */
async function readChunk(file: LocalFileHandle, into: Buffer, position: number, path: string): Promise<Buffer> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await file.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) throw fileChanged(path);
    filled += bytesRead;
  }
  return into;
}

/** The bytes as they are when unthrottled; through the bucket in slices (views, not copies) under a rate limit. */
function chunkBody(ctx: TransferContext, bytes: Buffer, signal: AbortSignal): ChunkBody {
  if (ctx.upload.rate <= 0) return bytes;
  const slices = Array.from({ length: Math.ceil(bytes.length / THROTTLE_PIECE) }, (_, i) => bytes.subarray(i * THROTTLE_PIECE, (i + 1) * THROTTLE_PIECE));
  return () => Readable.from(slices, { objectMode: false }).pipe(throttle(ctx.upload, () => {}, signal));
}

function chunkLength(n: number, chunkSize: number, size: number): number {
  return Math.max(0, Math.min(chunkSize, size - n * chunkSize));
}

/** The persisted session's state, or null when the service no longer has it. */
async function resumeStatus(ctx: TransferContext, uploadId: string, signal: AbortSignal): Promise<UploadStatus | null> {
  try {
    return await ctx.remote.uploadStatus(uploadId, signal);
  } catch (error) {
    if (isSyncError(error) && (error.code === 'not_found' || error.detail.serviceCode === 'upload_expired')) return null;
    throw error;
  }
}
