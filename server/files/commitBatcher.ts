import type Database from 'better-sqlite3';

export interface CommitBatcherOptions {
  /** false: every job is its own transaction (one fsync each); kept for the benchmark. */
  batching?: boolean;
  /** Flush as soon as this many jobs wait. */
  maxBatch?: number;
  /** Told after each committed transaction, with the users whose data it changed. */
  onCommitted?: (userIds: ReadonlySet<string>) => void;
}

interface Job {
  userId: string;
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Groups writes from concurrent requests into one SQLite transaction: with
 * synchronous=FULL every commit costs an fsync, so N files cost one instead
 * of N. Jobs run in arrival order (so per user in order), each inside its own
 * savepoint: a job whose precondition fails is rolled back and refused alone.
 */
export class CommitBatcher {
  private pending: Job[] = [];
  private scheduled = false;
  private readonly batching: boolean;
  private readonly maxBatch: number;

  constructor(
    private readonly db: Database.Database,
    private readonly options: CommitBatcherOptions = {},
  ) {
    this.batching = options.batching ?? true;
    this.maxBatch = options.maxBatch ?? 256;
  }

  /** Runs `job` (synchronous SQL) inside a transaction; resolves once that transaction committed. */
  run<T>(userId: string, job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ userId, run: job, resolve: resolve as (value: unknown) => void, reject });
      if (!this.batching || this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // The next turn of the event loop: requests already parsed get to join this batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const jobs = this.pending;
    this.pending = [];
    if (jobs.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.db.transaction(() => jobs.map((job) => this.runInSavepoint(job)))();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of this batch was written.
      for (const job of jobs) job.reject(error);
      return;
    }
    const changed = new Set<string>();
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        changed.add(job.userId);
        job.resolve(outcome.value);
      } else job.reject(outcome.error);
    });
    if (changed.size > 0) this.options.onCommitted?.(changed);
  }

  private runInSavepoint(job: Job): Outcome {
    try {
      // A transaction function called inside a transaction runs as a SAVEPOINT.
      return { ok: true, value: this.db.transaction(job.run)() };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
