import pg from 'pg';

/** PostgreSQL's codes for a transaction that lost a race and may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 5;

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

  constructor(readonly url: string, options: { maxConnections?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
    // An idle connection the server dropped (restart, failover) must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
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

  /** A dedicated connection outside the pool (LISTEN needs one that stays open). */
  connectDedicated(): pg.Client {
    return new pg.Client({ connectionString: this.url });
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}
