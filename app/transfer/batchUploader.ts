import { hashBytes } from '../../protocol/contentHash.js';
import { MAX_BATCH_FILE_BYTES, MAX_BATCH_FILES } from '../../protocol/api.js';
import { SyncError } from '../errors.js';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';
import { sameLocalState, statLocal } from '../local/localPaths.js';
import type { RemoteNode } from '../model.js';
import type { BatchFile } from '../remote/remoteStore.js';
import { runParallel } from '../base/parallel.js';
import type { TransferContext } from './transferContext.js';
import type { UploadOp } from './uploader.js';

/** Files up to this size go inline in batch requests: one round trip for many of them. */
export const SMALL_FILE_BYTES = 256 * 1024;
/** Bytes of file content per batch request (before base64). */
const BATCH_BYTES = 8 * 1024 * 1024;

export type BatchOutcome = { ok: true; node: RemoteNode } | { ok: false; error: SyncError };

/** Files read from disk at once while a batch is assembled. */
const READ_CONCURRENCY = 16;

/**
 * Uploads small files inline, many per request; the service commits each
 * request in one transaction and answers per file. Each file is read once,
 * checked against the hash the plan saw, and stat'ed again after reading.
 * Batches are cut from the planned sizes and read one at a time, the next
 * one while the current one is on the wire, so memory holds two batches at
 * most, not every file of the round.
 */
export async function uploadSmallFiles(ctx: TransferContext, ops: readonly UploadOp[], signal: AbortSignal): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = new Array(ops.length);
  const read = async (indexes: readonly number[]) => {
    const ready: { index: number; file: BatchFile }[] = [];
    await runParallel(indexes, READ_CONCURRENCY, async (index) => {
      const op = ops[index]!;
      try {
        ready.push({ index, file: await readSmallFile(ctx, op) });
      } catch (error) {
        outcomes[index] = { ok: false, error: error instanceof SyncError ? error : syncErrorFromFs(error, op.path) };
      }
    }, signal);
    return ready.sort((a, b) => a.index - b.index);
  };
  const planned = [...batches(ops.map((op, index) => ({ index, bytes: op.local.size })))];
  let next = planned.length > 0 ? read(planned[0]!.map((item) => item.index)) : null;
  for (let b = 0; next; b++) {
    const batch = await next;
    next = b + 1 < planned.length ? read(planned[b + 1]!.map((item) => item.index)) : null;
    // The read ahead must not be left running (or rejecting unheard) when this send fails.
    try {
      if (batch.length > 0) await send(ctx, batch, outcomes, signal);
    } catch (error) {
      await next?.catch(() => {});
      throw error;
    }
  }
  return outcomes;
}

async function send(ctx: TransferContext, batch: readonly { index: number; file: BatchFile }[], outcomes: BatchOutcome[], signal: AbortSignal): Promise<void> {
  await ctx.upload.take(batch.reduce((sum, item) => sum + item.file.content.length, 0), signal);
  const results = await ctx.remote.batchUpload(batch.map((item) => item.file), signal);
  results.forEach((result, i) => {
    outcomes[batch[i]!.index] = result.ok ? { ok: true, node: result.node } : { ok: false, error: result.error };
  });
}

async function readSmallFile(ctx: TransferContext, op: UploadOp): Promise<BatchFile> {
  const abs = ctx.paths.abs(op.path);
  const { fs } = ctx.paths;
  const changed = new SyncError('file_changed', `${op.path} changed while it was being uploaded; it will be sent again`, { path: op.path, retryable: false });
  if (!sameLocalState(await statLocal(fs, abs, op.path), op.local)) throw changed;
  // Deleted or renamed between the stat and the read: a stale plan, like any other change.
  const content = await fs.readFile(abs).catch((error: unknown) => { throw errnoCode(error) === 'ENOENT' ? changed : syncErrorFromFs(error, abs); });
  const { contentHash } = hashBytes(content);
  if (contentHash !== op.local.contentHash || !sameLocalState(await statLocal(fs, abs, op.path), op.local)) throw changed;
  return { path: op.path, content, contentHash, mtime: op.local.mtime, ifRev: op.ifRev };
}

function* batches<T extends { bytes: number }>(items: readonly T[]): Generator<T[]> {
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= MAX_BATCH_FILES || bytes + item.bytes > BATCH_BYTES)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.bytes;
  }
  if (current.length > 0) yield current;
}

export function isSmallUpload(op: UploadOp): boolean {
  return op.local.size <= Math.min(SMALL_FILE_BYTES, MAX_BATCH_FILE_BYTES);
}
