import type Database from 'better-sqlite3';
import { SyncError } from '../errors.js';
import { transactionRunner, type InTransaction } from './transactionRunner.js';
import { type Job, type JobError, type JobPayload, type JobQueueStore, type JobState, type NewJob } from './stateStore.js';

interface JobRow {
  id: number;
  kind: string;
  path: string;
  payload: string;
  state: JobState;
  attempts: number;
  next_attempt_at: number;
  last_error_code: string | null;
  last_error_message: string | null;
  created_at: number;
  updated_at: number;
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    path: row.path,
    payload: JSON.parse(row.payload) as JobPayload,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error_code === null ? null : { code: row.last_error_code, message: row.last_error_message ?? '' },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The job queue and per-chunk progress; each public method is one transaction. */
export class JobTable implements JobQueueStore {
  private readonly insertJob: Database.Statement;
  private readonly insertChunk: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly start: Database.Statement;
  private readonly requeue: Database.Statement;
  private readonly requeueRunning: Database.Statement;
  private readonly updatePayload: Database.Statement;
  private readonly deleteChunks: Database.Statement;
  private readonly deleteJob: Database.Statement;
  private readonly deleteDone: Database.Statement;
  private readonly selectJob: Database.Statement;
  private readonly selectAll: Database.Statement;
  private readonly selectInStates: Database.Statement;
  private readonly chunkDone: Database.Statement;
  private readonly selectPending: Database.Statement;

  private readonly inTransaction: InTransaction;

  constructor(private readonly db: Database.Database) {
    this.inTransaction = transactionRunner(db);
    this.insertJob = db.prepare(`INSERT INTO jobs (kind, path, payload, state, next_attempt_at, created_at, updated_at)
      VALUES (?, ?, ?, 'queued', ?, ?, ?) RETURNING *`);
    this.insertChunk = db.prepare(`INSERT INTO job_chunks (job_id, n, state) VALUES (?, ?, 'pending')`);
    this.finish = db.prepare(`UPDATE jobs SET state = @state, last_error_code = @code, last_error_message = @message, updated_at = @now
      WHERE id = @id AND state = 'running'`);
    this.start = db.prepare(`UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = @now
      WHERE id = @id AND state <> 'done'`);
    this.requeue = db.prepare(`UPDATE jobs SET state = 'queued', next_attempt_at = @at, last_error_code = @code,
      last_error_message = @message, updated_at = @now WHERE id = @id AND state = 'running'`);
    this.requeueRunning = db.prepare(`UPDATE jobs SET state = 'queued', updated_at = ? WHERE state = 'running'`);
    this.updatePayload = db.prepare('UPDATE jobs SET payload = ?, updated_at = ? WHERE id = ?');
    this.deleteChunks = db.prepare('DELETE FROM job_chunks WHERE job_id = ?');
    this.deleteJob = db.prepare('DELETE FROM jobs WHERE id = ?');
    this.deleteDone = db.prepare(`DELETE FROM jobs WHERE state = 'done'`);
    this.selectJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
    this.selectAll = db.prepare('SELECT * FROM jobs ORDER BY id');
    this.selectInStates = db.prepare('SELECT * FROM jobs WHERE state IN (SELECT value FROM json_each(?)) ORDER BY id');
    this.chunkDone = db.prepare(`UPDATE job_chunks SET state = 'done' WHERE job_id = ? AND n = ?`);
    this.selectPending = db.prepare(`SELECT n FROM job_chunks WHERE job_id = ? AND state = 'pending' ORDER BY n`).pluck();
  }

  atomically<T>(work: () => T): T {
    return this.inTransaction(work);
  }

  enqueueJobs(jobs: readonly NewJob[], now: number): Job[] {
    return this.inTransaction(() => jobs.map((job) => {
      const row = this.insertJob.get(job.kind, job.path, JSON.stringify(job.payload), now, now, now) as JobRow;
      for (let n = 0; n < (job.chunkCount ?? 0); n++) this.insertChunk.run(row.id, n);
      return toJob(row);
    }));
  }

  startJob(id: number, now: number): void {
    if (this.start.run({ id, now }).changes === 0) throw new SyncError('internal', `job ${id} cannot start: it is done or gone`);
  }

  completeJob(id: number, now: number): void {
    this.settle(id, 'done', null, now);
  }

  failJob(id: number, error: JobError, now: number): void {
    this.settle(id, 'failed', error, now);
  }

  rescheduleJob(id: number, nextAttemptAt: number, error: JobError, now: number): void {
    const result = this.requeue.run({ id, at: nextAttemptAt, code: error.code, message: error.message, now });
    if (result.changes === 0) throw notRunning(id);
  }

  requeueRunningJobs(now: number): number {
    return this.requeueRunning.run(now).changes;
  }

  setJobPayload(id: number, payload: JobPayload, now: number, chunkCount?: number): void {
    this.inTransaction(() => {
      if (this.updatePayload.run(JSON.stringify(payload), now, id).changes === 0) {
        throw new SyncError('internal', `job ${id} does not exist`);
      }
      if (chunkCount === undefined) return;
      this.deleteChunks.run(id);
      for (let n = 0; n < chunkCount; n++) this.insertChunk.run(id, n);
    });
  }

  removeJobs(ids: readonly number[]): void {
    this.inTransaction(() => {
      for (const id of ids) this.deleteJob.run(id);
    });
  }

  pruneDoneJobs(): number {
    return this.deleteDone.run().changes;
  }

  getJob(id: number): Job | null {
    const row = this.selectJob.get(id) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  listJobs(states?: readonly JobState[]): Job[] {
    const rows = states ? this.selectInStates.all(JSON.stringify(states)) : this.selectAll.all();
    return (rows as JobRow[]).map(toJob);
  }

  markChunkDone(jobId: number, n: number): void {
    if (this.chunkDone.run(jobId, n).changes === 0) {
      throw new SyncError('internal', `job ${jobId} has no chunk ${n}`);
    }
  }

  pendingChunks(jobId: number): number[] {
    return this.selectPending.all(jobId) as number[];
  }

  private settle(id: number, state: 'done' | 'failed', error: JobError | null, now: number): void {
    const result = this.finish.run({ id, state, code: error?.code ?? null, message: error?.message ?? null, now });
    if (result.changes === 0) throw notRunning(id);
  }
}

function notRunning(id: number): SyncError {
  return new SyncError('internal', `job ${id} is not running`);
}
