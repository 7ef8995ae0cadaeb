import pg from 'pg';
import { ADVISORY_KEY_SQL, releaseLocks } from './locks.js';

/** PostgreSQL's codes for a transaction that lost a race and may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 5;
/** Connections per node for statements that wait on advisory locks (PgDatabase.lockPool). */
const LOCK_CONNECTIONS = 10;

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
   * Connections for transactions that take advisory locks (db/locks.ts,
   * content pins, throttles). Apart from the main pool, whose connections
   * never wait for a lock: a holder can always get one to finish its work.
   * Opened on first use; TCP keep-alive so that the database notices a node
   * that vanished and releases its locks.
   */
  readonly lockPool: pg.Pool;

  constructor(readonly url: string, options: { maxConnections?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
    this.lockPool = new pg.Pool({ connectionString: url, max: LOCK_CONNECTIONS, keepAlive: true });
    // An idle connection the server dropped (restart, failover) must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
    this.lockPool.on('error', () => {});
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
    return this.onLockConnection(async (client) => {
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
    return this.onLockConnection(async (client) => {
      await client.query('BEGIN');
      const value = await work({ query: (text, values) => client.query(text, values as unknown[]) });
      await client.query('COMMIT');
      return value;
    });
  }

  private async onLockConnection<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.lockPool.connect();
    // A connection lost while checked out errs here rather than as an uncaught event; its next statement fails.
    const ignore = (): void => {};
    client.on('error', ignore);
    try {
      return await use(client);
    } finally {
      await releaseLocks(client, () => client.off('error', ignore));
    }
  }

  /** A dedicated connection outside the pool (LISTEN needs one that stays open). */
  connectDedicated(): pg.Client {
    return new pg.Client({ connectionString: this.url });
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.lockPool.end()]);
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
