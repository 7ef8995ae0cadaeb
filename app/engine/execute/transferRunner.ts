import type { Clock } from '../../clock.js';
import type { Job, JobQueueStore } from '../../db/stateStore.js';
import { SyncError, isSyncError } from '../../errors.js';
import type { LocalNode, RemoteNode } from '../../model.js';
import { backoffDelay, type BackoffPolicy } from '../../base/backoff.js';
import { isSmallUpload, uploadSmallFiles } from '../../transfer/batchUploader.js';
import { downloadFile, type DownloadOp } from '../../transfer/downloader.js';
import { runParallel } from '../../base/parallel.js';
import { removeOrphanPartials } from '../../transfer/partialFiles.js';
import type { TransferContext } from '../../transfer/transferContext.js';
import { uploadFile, type UploadOp } from '../../transfer/uploader.js';
import type { ProgressTracker } from './progressTracker.js';

export type TransferOp = ({ type: 'uploadFile' } & UploadOp) | ({ type: 'downloadFile' } & DownloadOp);

export interface TransferHandlers {
  uploaded(op: UploadOp, remote: RemoteNode): void;
  downloaded(op: DownloadOp, local: LocalNode): void;
  /** Gave up on this transfer (this round); `error.retryable` says whether a later round may try again. */
  failed(op: TransferOp, error: SyncError): void;
}

export interface TransferRunnerOptions {
  /** Files in flight at once. */
  fileConcurrency: number;
  backoff: BackoffPolicy;
  random?: () => number;
}

const KIND = { uploadFile: 'upload', downloadFile: 'download' } as const;

/**
 * Runs a round's transfers from the persistent queue. A queued job for the
 * same path is reused, so a restart resumes its upload session or partial
 * download; jobs the plan no longer wants are dropped. Network and 5xx
 * failures are retried with backoff; the rest are reported once.
 */
export class TransferRunner {
  constructor(
    private readonly ctx: TransferContext,
    private readonly jobs: JobQueueStore,
    private readonly tracker: ProgressTracker,
    private readonly clock: Clock,
    private readonly options: TransferRunnerOptions,
  ) {}

  async run(ops: readonly TransferOp[], handlers: TransferHandlers, signal: AbortSignal): Promise<void> {
    // Ids, not job rows: a round of 100,000 files held 100,000 rows (with their payloads) until it ended.
    const jobs = this.jobsFor(ops);
    // Partial files of jobs dropped just now, or left by a crash, go before new bytes are written. Each
    // partial file's job is looked up alone: a set of every job's id held 100,000 jobs at an initial sync.
    await removeOrphanPartials(this.ctx.paths.fs, this.ctx.partialDir, { has: (id) => this.jobs.getJob(id) !== null });
    this.tracker.begin(ops.map((op, i) => ({
      jobId: jobs[i]!,
      direction: op.type === 'uploadFile' ? 'upload' : 'download',
      path: op.path,
      size: op.type === 'uploadFile' ? op.local.size : op.remote.size,
    })));
    const small: number[] = [];
    const large: number[] = [];
    ops.forEach((op, i) => (op.type === 'uploadFile' && isSmallUpload(op) ? small : large).push(i));

    if (small.length > 0) await this.runSmallUploads(small, (i) => ops[i] as UploadOp, (i) => jobs[i]!, handlers, signal);
    await runParallel(large, this.options.fileConcurrency, async (i) => {
      await this.runOne(ops[i]!, jobs[i]!, handlers, signal);
    }, signal);
    this.jobs.pruneDoneJobs();
  }

  /** One job per op (its id): the existing one for its path when there is one. */
  private jobsFor(ops: readonly TransferOp[]): number[] {
    const existing = new Map(this.jobs.listJobs(['queued', 'running', 'failed']).map((job) => [`${job.kind}:${job.path}`, job]));
    const now = this.clock.now();
    const wanted = ops.map((op) => `${KIND[op.type]}:${op.path}`);
    const reused = new Set<number>();
    const fresh: { index: number; kind: string; path: string }[] = [];
    const result: (number | undefined)[] = wanted.map((key, index) => {
      const job = existing.get(key);
      if (job && !reused.has(job.id)) {
        reused.add(job.id);
        return job.id;
      }
      fresh.push({ index, kind: KIND[ops[index]!.type], path: ops[index]!.path });
      return undefined;
    });
    const stale = [...existing.values()].filter((job) => !reused.has(job.id));
    for (const job of stale) {
      const uploadId = job.payload.uploadId;
      if (typeof uploadId === 'string') this.ctx.remote.abortUpload(uploadId).catch(() => {});
    }
    this.jobs.removeJobs(stale.map((job) => job.id));
    const created = this.jobs.enqueueJobs(fresh.map((f) => ({ kind: f.kind, path: f.path, payload: {} })), now);
    fresh.forEach((f, i) => {
      result[f.index] = created[i]!.id;
    });
    return result as number[];
  }

  private async runOne(op: TransferOp, job: number, handlers: TransferHandlers, signal: AbortSignal): Promise<void> {
    this.tracker.active(job);
    // Read again for each attempt: an attempt records its upload session or chunks in the job.
    const current = (): Job => {
      const row = this.jobs.getJob(job);
      if (!row) throw new SyncError('internal', `transfer job ${job} for ${op.path} is gone from the queue`);
      return row;
    };
    await this.withRetries(() => [job], signal, async () => {
      if (op.type === 'uploadFile') handlers.uploaded(op, await uploadFile(this.ctx, current(), op, signal));
      else handlers.downloaded(op, await downloadFile(this.ctx, current(), op, signal));
      this.settleDone(job);
    }, (failure) => this.settleFailed(job, op, failure, handlers));
  }

  /**
   * Each batch's files are settled (job and trees) in one transaction as its
   * answer arrives; a retry after a network failure sends only the files not
   * settled yet.
   */
  private async runSmallUploads(items: number[], opOf: (item: number) => UploadOp, jobOf: (item: number) => number, handlers: TransferHandlers, signal: AbortSignal): Promise<void> {
    let unsettled = items;
    const settled = new Set<number>();
    await this.withRetries(() => unsettled.map(jobOf), signal, async () => {
      const attempt = unsettled;
      try {
        await uploadSmallFiles(this.ctx, attempt.map(opOf), signal, (answered) => {
          this.jobs.atomically(() => {
            for (const { index, outcome } of answered) {
              const op = opOf(attempt[index]!);
              const job = jobOf(attempt[index]!);
              if (outcome.ok) {
                this.settleDone(job);
                handlers.uploaded(op, outcome.node);
              } else {
                this.settleFailed(job, { type: 'uploadFile', ...op }, outcome.error, handlers);
              }
            }
          });
          // Only once committed: a rolled-back settlement leaves its files to the next attempt.
          for (const { index } of answered) settled.add(attempt[index]!);
        }, (indexes) => {
          // A file is active from when its batch is read: marking a round's 100,000 files active at once
          // sent 100,000 transfer events (to the desktop app's window, over IPC) before the first byte.
          for (const index of indexes) this.tracker.active(jobOf(attempt[index]!));
        });
      } finally {
        unsettled = attempt.filter((item) => !settled.has(item));
      }
    }, (failure) => this.jobs.atomically(() => {
      for (const item of unsettled) this.settleFailed(jobOf(item), { type: 'uploadFile', ...opOf(item) }, failure, handlers);
    }));
  }

  /**
   * Runs `attempt` (which settles its jobs) until it succeeds, fails for
   * good, or runs out of tries; then `giveUp` settles the ones left as failed.
   * `jobs` are those the next attempt is for.
   */
  private async withRetries(jobs: () => readonly number[], signal: AbortSignal, attempt: () => Promise<void>, giveUp: (failure: SyncError) => void): Promise<void> {
    for (let n = 1; ; n++) {
      try {
        this.jobs.atomically(() => {
          for (const job of jobs()) this.jobs.startJob(job, this.clock.now());
        });
        await attempt();
        return;
      } catch (error) {
        if (signal.aborted) {
          for (const job of jobs()) this.tracker.finished(job, { state: 'paused' });
          throw signal.reason;
        }
        const failure = isSyncError(error) ? error : new SyncError('internal', error instanceof Error ? error.message : String(error), { cause: error });
        if (failure.retryable && n < this.options.backoff.maxAttempts) {
          const delay = backoffDelay(this.options.backoff, n, this.options.random);
          const now = this.clock.now();
          this.jobs.atomically(() => {
            for (const job of jobs()) this.jobs.rescheduleJob(job, now + delay, { code: failure.code, message: failure.message }, now);
          });
          await this.clock.sleep(delay, signal);
          continue;
        }
        giveUp(failure);
        return;
      }
    }
  }

  private settleDone(job: number): void {
    this.jobs.completeJob(job, this.clock.now());
    this.tracker.finished(job, { state: 'done' });
  }

  private settleFailed(job: number, op: TransferOp, error: SyncError, handlers: TransferHandlers): void {
    const reported = { code: error.code, message: error.message };
    // A stale plan (the file or the remote entry moved on) is not a failure: the next plan decides again.
    if (error.code === 'file_changed' || error.code === 'conflict') this.jobs.removeJobs([job]);
    else this.jobs.failJob(job, reported, this.clock.now());
    this.tracker.finished(job, { state: 'failed', error: reported });
    handlers.failed(op, error);
  }
}
