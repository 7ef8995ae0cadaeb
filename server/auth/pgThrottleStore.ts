import { ADVISORY_KEY_SQL } from '../db/locks.js';
import { runAsync } from '../db/steps.js';
import { numberPlaceholders, type PgDatabase, type Sql } from '../db/postgres.js';
import {
  attemptSteps, THROTTLE_SQL, waitSteps, type DelayLimit, type Limit, type ThrottleStore, type ThrottleTables,
} from './throttleStore.js';

const SQL = Object.fromEntries(Object.entries(THROTTLE_SQL).map(([name, sql]) => [name, numberPlaceholders(sql)])) as typeof THROTTLE_SQL;

function tablesOn(sql: Sql): ThrottleTables {
  return {
    hitsAfter: async (key, since) => (await sql.query<{ at: number }>(SQL.hitsAfter, [key, since])).rows.map((row) => row.at),
    failures: async (key, now) => {
      const row = (await sql.query<{ count: number; last_at: number }>(SQL.failures, [key, now])).rows[0];
      return row && { count: row.count, lastAt: row.last_at };
    },
    addHit: async (key, at, expiresAt) => void await sql.query(SQL.addHit, [key, at, expiresAt]),
    addFailure: async (key, at, expiresAt) => void await sql.query(SQL.addFailure, [key, at, expiresAt]),
  };
}

/**
 * Throttles shared by every node. An attempt locks its keys (advisory
 * locks, in key order) for its transaction, so two nodes counting the same
 * address or link take turns and the limit is exact. Its commit does not
 * wait for the disk (synchronous_commit off): a database crash may forget
 * the last few attempts, which only gives a guesser back those few tries.
 */
export class PgThrottleStore implements ThrottleStore {
  private readonly pool: ThrottleTables;

  constructor(private readonly db: PgDatabase) {
    this.pool = tablesOn(db);
  }

  async attempt(limits: readonly Limit[], now: number): Promise<number> {
    return this.db.lockingTransaction(async (tx) => {
      await tx.query('SET LOCAL synchronous_commit = off');
      for (const key of [...new Set(limits.map((limit) => limit.key))].sort()) {
        await tx.query(`SELECT pg_advisory_xact_lock(${ADVISORY_KEY_SQL})`, [`throttle:${key}`]);
      }
      return runAsync(attemptSteps(tablesOn(tx), limits, now));
    });
  }

  async waitFor(limits: readonly Limit[], now: number): Promise<number> {
    return runAsync(waitSteps(this.pool, limits, now));
  }

  async fail(limit: DelayLimit, now: number): Promise<void> {
    // One statement: PostgreSQL's upsert counts two nodes' failures of one key both.
    await this.pool.addFailure(limit.key, now, now + limit.rule.forgetAfterMs);
  }

  async forgiveOne(key: string): Promise<void> {
    await this.db.query('DELETE FROM throttle_hits WHERE ctid = (SELECT ctid FROM throttle_hits WHERE key = $1 ORDER BY at DESC LIMIT 1)', [key]);
  }

  async clearFailures(key: string): Promise<void> {
    await this.db.query(SQL.clearFailures, [key]);
  }

  async sweep(now: number): Promise<void> {
    await this.db.query(SQL.sweepHits, [now]);
    await this.db.query(SQL.sweepFailures, [now]);
  }
}
