import { isRetryable, type PgDatabase, type Sql } from '../db/postgres.js';
import { CHANGES_CHANNEL } from './pgChangeNotifier.js';

export interface PgCommitBatcherOptions {
  /** Flush as soon as this many jobs wait. */
  maxBatch?: number;
  /** Told after each committed transaction, with the users whose data it changed. */
  onCommitted?: (userIds: ReadonlySet<string>) => void;
}

interface Job {
  userId: string;
  run: (tx: Sql) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The commit batcher on PostgreSQL, one per node. Like the SQLite one, it
 * groups the writes that arrive together into one transaction, each job in
 * its own savepoint, in arrival order, one batch at a time.
 *
 * Several nodes write one user's tree, so each transaction first locks the
 * feed rows (`file_feeds`, one per user) of every user in its batch, in user
 * id order, with `SELECT … FOR UPDATE`, and holds them until it commits:
 * - a user's commits are serialized across nodes, so change numbers are
 *   handed out (`last_seq + 1`) and committed in the same order: a reader
 *   never sees seq n+1 while n is still uncommitted, so the feed has no gaps
 *   and no reordering;
 * - each job reads the tree after taking the lock (READ COMMITTED gives every
 *   statement a fresh snapshot), so `ifRev`, existence and case checks see
 *   the other nodes' committed writes and cannot be raced;
 * - locking in one global order means two batches never deadlock on users.
 * Content reference counts are row-locked as commits touch them; two batches
 * taking two hashes in opposite order can deadlock, PostgreSQL aborts one, and
 * PgDatabase.transaction runs that batch again. A NOTIFY per changed user is
 * sent inside the transaction, so every node hears of it once it committed.
 */
export class PgCommitBatcher {
  private pending: Job[] = [];
  private running = false;
  private readonly maxBatch: number;

  constructor(private readonly db: PgDatabase, private readonly options: PgCommitBatcherOptions = {}) {
    this.maxBatch = options.maxBatch ?? 256;
  }

  /** Runs `job` inside a transaction holding the user's lock; resolves once that transaction committed. */
  run<T>(userId: string, job: (tx: Sql) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ userId, run: job, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        // The next turn of the event loop: requests already parsed get to join this batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Resolves once no batch is pending or running. */
  async idle(): Promise<void> {
    while (this.running) await new Promise((resolve) => setImmediate(resolve));
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const jobs = this.pending.splice(0, this.maxBatch);
      await this.flush(jobs);
    }
    this.running = false;
  }

  private async flush(jobs: Job[]): Promise<void> {
    const users = [...new Set(jobs.map((job) => job.userId))].sort();
    let outcomes: Outcome[];
    try {
      outcomes = await this.db.transaction(async (tx) => {
        await lockUsers(tx, users);
        const results: Outcome[] = [];
        for (const job of jobs) results.push(await inSavepoint(tx, job.run));
        const changed = users.filter((userId) => jobs.some((job, i) => job.userId === userId && results[i]!.ok));
        if (changed.length > 0) await tx.query('SELECT pg_notify($1, u) FROM unnest($2::text[]) AS u', [CHANGES_CHANNEL, changed]);
        return results;
      });
    } catch (error) {
      // The transaction itself failed (connection lost, retries used up): nothing of this batch was written.
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
}

/** Creates missing feed rows, then locks them all, in user id order. */
async function lockUsers(tx: Sql, users: readonly string[]): Promise<void> {
  await tx.query(`INSERT INTO file_feeds (user_id, last_seq)
    SELECT u, 0 FROM unnest($1::text[]) AS u ORDER BY u ON CONFLICT (user_id) DO NOTHING`, [users]);
  await tx.query('SELECT user_id FROM file_feeds WHERE user_id = ANY($1::text[]) ORDER BY user_id FOR UPDATE', [users]);
}

let savepoints = 0;

/**
 * Runs `work` in a savepoint: refused, it is rolled back alone. A deadlock or
 * serialization failure aborts the whole transaction instead, to be retried.
 */
export async function inSavepoint(tx: Sql, work: (tx: Sql) => Promise<unknown>): Promise<Outcome> {
  const name = `job_${++savepoints}`;
  await tx.query(`SAVEPOINT ${name}`);
  try {
    const value = await work(tx);
    await tx.query(`RELEASE SAVEPOINT ${name}`);
    return { ok: true, value };
  } catch (error) {
    if (isRetryable(error)) throw error;
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    return { ok: false, error };
  }
}
