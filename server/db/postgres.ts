import pg from 'pg';
import { ADVISORY_KEY_SQL, releaseLocks } from './locks.js';

/** PostgreSQL's codes for a transaction that lost a race and may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 5;
/** Connections per node for locks held across a request's work (PgDatabase.heldLockPool). */
const HELD_LOCK_CONNECTIONS = 10;
/** Connections per node for short transactions that take advisory locks (PgDatabase.lockPool). */
const LOCK_CONNECTIONS = 5;

// BIGINT (times in milliseconds, sizes, sequence numbers) and NUMERIC (SUM of
// BIGINT) as JS numbers: every value the service stores stays below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

/** What a store runs its statements on: the pool, or one transaction's connection. */
export interface Sql {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

/** A deadlock or serialization failure: the transaction lost a race and may be run again. */
export function isRetryable(error: unknown): boolean {
  return error instanceof pg.DatabaseError && RETRYABLE.has(error.code ?? '');
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23505';
}

/**
 * The service's PostgreSQL database: a connection pool (each node opens its
 * own) and transactions that are retried when PostgreSQL aborts one to break
 * a deadlock or a serialization conflict between nodes.
 */
export class PgDatabase implements Sql {
  readonly pool: pg.Pool;
  /**
   * Statements that may wait for an advisory lock never run on the main
   * pool: a lock holder must always find a main connection for its work, or
   * holders and waiters could starve each other into a deadlock. Two pools
   * of their own, by nesting level: `heldLockPool` for locks held across a
   * request's work (a user's quota turn, `holdingLocks`), `lockPool` for
   * short transactions that take locks and act at once (content pins,
   * throttles, claiming content for collection, `lockingTransaction`). Work
   * under a held lock may take short ones, never the reverse, so neither
   * pool can be exhausted by holders that wait for it. Opened on first use;
   * TCP keep-alive, so that the database notices a node that vanished and
   * releases its locks.
   */
  readonly heldLockPool: pg.Pool;
  readonly lockPool: pg.Pool;

  constructor(readonly url: string, options: { maxConnections?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
    this.heldLockPool = new pg.Pool({ connectionString: url, max: HELD_LOCK_CONNECTIONS, keepAlive: true });
    this.lockPool = new pg.Pool({ connectionString: url, max: LOCK_CONNECTIONS, keepAlive: true });
    // An idle connection the server dropped (restart, failover) must not crash the process; the pool replaces it.
    for (const pool of [this.pool, this.heldLockPool, this.lockPool]) pool.on('error', () => {});
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values as unknown[]);
  }

  /**
   * Runs `work` in one READ COMMITTED transaction on one connection. `work`
   * may run more than once (after a deadlock or serialization failure), so it
   * must not have effects outside the database.
   */
  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const tx: Sql = { query: (text, values) => client.query(text, values as unknown[]) };
      try {
        await client.query('BEGIN');
        const value = await work(tx);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        if (!isRetryable(error) || attempt >= MAX_ATTEMPTS) throw error;
      } finally {
        client.release();
      }
    }
  }

  /**
   * Runs `work` holding the exclusive advisory locks of `keys` (taken in
   * sorted order, so two holders of several keys never deadlock), waiting
   * until every other holder on any node let go. `work` runs outside the
   * lock's transaction and may do anything; the locks are released when it
   * settles, or when this node's connection is lost.
   */
  async holdingLocks<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    return onConnectionOf(this.heldLockPool, async (client) => {
      await client.query('BEGIN');
      for (const key of [...keys].sort()) await client.query(`SELECT pg_advisory_xact_lock(${ADVISORY_KEY_SQL})`, [key]);
      return work();
    });
  }

  /**
   * Runs `work` in a transaction on a lock-pool connection, for statements
   * that take advisory locks (`tx`) and act on what they guard. Committed if
   * `work` resolves, rolled back if it throws; never retried, since `work`
   * may act outside the database (the caller re-checks under its locks).
   */
  async lockingTransaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return onConnectionOf(this.lockPool, async (client) => {
      await client.query('BEGIN');
      const value = await work({ query: (text, values) => client.query(text, values as unknown[]) });
      await client.query('COMMIT');
      return value;
    });
  }

  /** A dedicated connection outside the pool (LISTEN needs one that stays open). */
  connectDedicated(): pg.Client {
    return new pg.Client({ connectionString: this.url });
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.heldLockPool.end(), this.lockPool.end()]);
  }
}

/** Runs `use` on a connection of `pool`, then ends its transaction (releasing its advisory locks) and hands it back. */
async function onConnectionOf<T>(pool: pg.Pool, use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection lost while checked out errs here rather than as an uncaught event; its next statement fails.
  const ignore = (): void => {};
  client.on('error', ignore);
  try {
    return await use(client);
  } finally {
    await releaseLocks(client, () => client.off('error', ignore));
  }
}

/** SQL written with `?` placeholders (SQLite's) as PostgreSQL's `$first, $first+1, …`: one statement text for both dialects. */
export function numberPlaceholders(sql: string, first = 1): string {
  let n = first;
  return sql.replace(/\?/g, () => `$${n++}`);
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}
