import type { OpenedFile } from '../../protocol/hashWorker.js';
import { MAX_BATCH_FILE_BYTES, MAX_BATCH_FILES } from '../../protocol/api.js';
import { isSyncError, SyncError } from '../errors.js';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';
import { sameLocalState } from '../local/localPaths.js';
import type { SmallFileRead } from '../hash/hasher.js';
import type { LocalStats } from '../local/localFs.js';
import { localNodeOf } from '../local/scanner.js';
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

/**
 * Files asked of the hashing pool at once while a batch is assembled: the pool
 * reads those asked together many per message, so this is its batch size too.
 */
const READ_CONCURRENCY = 128;
/**
 * Batch requests in flight at once: while the service stores and commits one,
 * the next is read, encoded and received, so neither side waits for the
 * other. Memory holds this many batches at most, not every file of the round.
 */
const BATCHES_IN_FLIGHT = 2;

/** Told the outcomes of some files (by their index in `ops`) as soon as they are known. */
export type SettleBatch = (answered: readonly { index: number; outcome: BatchOutcome }[]) => void;

/** Told which files (by their index in `ops`) a batch is about to read and send. */
export type BatchStarted = (indexes: readonly number[]) => void;

/**
 * Uploads small files inline, many per request; the service commits each
 * request in one transaction and answers per file. Each file is read once,
 * checked against the hash the plan saw, and stat'ed after reading. Batches
 * are cut from the planned sizes; each one's outcomes go to `settle` as soon
 * as its answer arrives, so a failure later in the round (or a crash) does not
 * lose the record of what the service already committed.
 */
/** What batch uploads use of the transfer context. */
export type BatchContext = Pick<TransferContext, 'remote' | 'paths' | 'upload' | 'hasher'>;

export async function uploadSmallFiles(
  ctx: BatchContext, ops: readonly UploadOp[], signal: AbortSignal, settle: SettleBatch, started: BatchStarted = () => {},
): Promise<void> {
  const planned = [...batches(ops.map((op, index) => ({ index, bytes: op.local.size })))];
  let next = 0;
  let failure: { error: unknown } | null = null;
  // After a failure no batch starts, but those in flight are not cut: the
  // service may be committing them, and their answers are worth settling.
  const lane = async () => {
    while (failure === null && next < planned.length) {
      const indexes = planned[next++]!.map((item) => item.index);
      started(indexes);
      try {
        await uploadBatch(ctx, ops, indexes, signal, settle);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCHES_IN_FLIGHT, planned.length) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
}

async function uploadBatch(ctx: BatchContext, ops: readonly UploadOp[], indexes: readonly number[], signal: AbortSignal, settle: SettleBatch): Promise<void> {
  const ready: { index: number; file: BatchFile }[] = [];
  const unreadable: { index: number; outcome: BatchOutcome }[] = [];
  await runParallel(indexes, READ_CONCURRENCY, async (index) => {
    const op = ops[index]!;
    try {
      ready.push({ index, file: await readSmallFile(ctx, op, signal) });
    } catch (error) {
      unreadable.push({ index, outcome: { ok: false, error: error instanceof SyncError ? error : syncErrorFromFs(error, op.path) } });
    }
  }, signal);
  if (unreadable.length > 0) settle(unreadable);
  if (ready.length === 0) return;
  ready.sort((a, b) => a.index - b.index);
  await ctx.upload.take(ready.reduce((sum, item) => sum + item.file.content.length, 0), signal);
  const results = await ctx.remote.batchUpload(ready.map((item) => item.file), signal);
  settle(results.map((result, i) => ({ index: ready[i]!.index, outcome: result.ok ? { ok: true, node: result.node } : { ok: false, error: result.error } })));
}

/**
 * The file as the plan saw it, or `file_changed`: read and hashed whole in
 * the hashing pool (opened without following a symlink or waiting on a FIFO),
 * the opened file's fstat the same size, mtime, inode and ctime as planned and
 * its bytes the planned hash, so a change made during the read shows too. The
 * pool reads many files per message: on this thread, an open, fstat, read and
 * close per file were most of a many-small-files sync's CPU.
 */
async function readSmallFile(ctx: BatchContext, op: UploadOp, signal: AbortSignal): Promise<BatchFile> {
  const abs = ctx.paths.abs(op.path);
  // Made only when thrown: an error's stack trace cost ~30 µs per file read.
  const changed = () => new SyncError('file_changed', `${op.path} changed while it was being uploaded; it will be sent again`, { path: op.path, retryable: false });
  let read: SmallFileRead;
  try {
    read = await ctx.hasher.readSmallFile(abs, signal);
  } catch (error) {
    if (isSyncError(error) && error.code === 'file_changed') throw changed();
    // Deleted, renamed or replaced by a symlink since the plan: a stale plan, like any other change.
    if (STALE_OPEN.has(errnoCode(error) ?? '')) throw changed();
    throw syncErrorFromFs(error, abs);
  }
  if (!sameLocalState(localNodeOf(op.path, openedFileStats(read.file)), op.local) || read.digest.contentHash !== op.local.contentHash) throw changed();
  return { path: op.path, content: read.bytes, contentHash: read.digest.contentHash, mtime: op.local.mtime, ifRev: op.ifRev };
}

/** The pool's fstat of a regular file, as the scanner's stats. */
function openedFileStats(file: OpenedFile): LocalStats {
  return { ...file, isFile: () => true, isDirectory: () => false, isSymbolicLink: () => false };
}

/** What opening the planned file answers when something else is at its path now. */
const STALE_OPEN: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

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
