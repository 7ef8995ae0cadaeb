import type pg from 'pg';
import type { PgDatabase } from './postgres.js';

/**
 * Mutual exclusion per key (a user's quota turn) that every process serving
 * the same database honours: in this process on SQLite, which one process
 * owns; across nodes on PostgreSQL.
 */
export interface Locks {
  /** Runs `work` once every earlier holder of `key`, on any node, has let go; holds `key` until it settles. */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** Turns per key in this process: each `work` starts after the previous one of its key settled, in arrival order. */
export class ProcessLocks implements Locks {
  private readonly turns = new Map<string, Promise<unknown>>();

  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(key) ?? Promise.resolve();
    const mine = previous.then(work, work);
    const settled = mine.then(() => {}, () => {});
    this.turns.set(key, settled);
    void settled.then(() => {
      if (this.turns.get(key) === settled) this.turns.delete(key);
    });
    return mine;
  }
}

/**
 * PostgreSQL advisory locks, held across `work` (which may wait on the disk,
 * S3 or other queries) by a transaction on a connection of the held-lock pool
 * (`PgDatabase.heldLockPool`). Requests of one node for one key first queue
 * in this process, so a burst from one user takes one connection, not one
 * each. A node that dies (kill -9, lost connection) releases its locks with
 * its connections.
 */
export class PgLocks implements Locks {
  private readonly local = new ProcessLocks();

  constructor(private readonly db: PgDatabase) {}

  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.exclusive(key, () => this.db.holdingLocks([key], work));
  }
}

/** The advisory lock key of a string: collisions only make two keys wait for each other. */
export const ADVISORY_KEY_SQL = 'hashtextextended($1, 0)';

/**
 * Ends the transaction (a ROLLBACK after a COMMIT is a no-op; either releases
 * its advisory locks) and hands the connection back, dropping it if it broke.
 * `detach` runs between the two: the pool's own error listener returns on release.
 */
export async function releaseLocks(client: pg.PoolClient, detach: () => void): Promise<void> {
  let broken: Error | undefined;
  await client.query('ROLLBACK').catch((error: Error) => { broken = error; });
  detach();
  client.release(broken);
}
