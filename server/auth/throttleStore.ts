import type Database from 'better-sqlite3';
import { ask, runSync, type Maybe, type Steps } from '../db/steps.js';

export interface WindowRule {
  /** Hits allowed within the window; the next one is refused. */
  limit: number;
  windowMs: number;
}

export interface GrowingDelayRule {
  /** Failures allowed before any wait. */
  freeFailures: number;
  /** The wait after the first failure past the free ones; each further failure doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A key with no failure for this long starts over. */
  forgetAfterMs: number;
}

/**
 * What an attempt is checked (and counted) against: a sliding window of hits
 * per key, or failure counts per key with waits that double after each
 * failure past the free ones (guessing slows down exponentially, a typo or
 * two costs nothing). Keys name their scope (`login-address:…`).
 */
export type Limit =
  | { kind: 'window'; key: string; rule: WindowRule }
  | { kind: 'delay'; key: string; rule: GrowingDelayRule };
export type DelayLimit = Extract<Limit, { kind: 'delay' }>;

/**
 * The service's throttles (sign-in, registration, share codes, failed
 * possession proofs), in the database: every node counts against the same
 * numbers, so a client cannot multiply its tries by the node count, and a
 * restart forgets nothing. Times are the caller's clock (injected in tests).
 */
export interface ThrottleStore {
  /**
   * The longest wait `limits` impose at `now`; when there is none, the
   * attempt is counted against each (a hit in a window, a failure for a
   * delay) in the same step, so parallel attempts on any nodes cannot all
   * slip in before the first is counted.
   */
  attempt(limits: readonly Limit[], now: number): Promise<number>;
  /** The longest wait `limits` impose at `now`, counting nothing. */
  waitFor(limits: readonly Limit[], now: number): Promise<number>;
  /** Counts one failure against a delay. */
  fail(limit: DelayLimit, now: number): Promise<void>;
  /** Takes back the latest hit of a window key: an attempt counted up front that turned out fine. */
  forgiveOne(key: string): Promise<void>;
  /** Forgets a delay key's failures. */
  clearFailures(key: string): Promise<void>;
  /** Drops hits and failures that no longer count at `now`. */
  sweep(now: number): Promise<void>;
}

/** 0 when one more hit fits; otherwise how long until the oldest counted hit leaves the window. `hits`: within the window, ascending. */
export function windowWait(hits: readonly number[], rule: WindowRule, now: number): number {
  if (hits.length < rule.limit) return 0;
  return hits[hits.length - rule.limit]! + rule.windowMs - now;
}

/** 0 when the key may try now; otherwise how long it must wait. `failures`: the key's unexpired count, if any. */
export function delayWait(failures: Failures | undefined, rule: GrowingDelayRule, now: number): number {
  if (!failures || failures.count < rule.freeFailures) return 0;
  const delay = Math.min(rule.maxDelayMs, rule.baseDelayMs * 2 ** (failures.count - rule.freeFailures));
  return Math.max(0, failures.lastAt + delay - now);
}

export interface Failures {
  count: number;
  lastAt: number;
}

/** The table calls of `attempt` and `waitFor`, answered synchronously by SQLite and with promises by PostgreSQL. */
export interface ThrottleTables {
  /** The key's hits after `since`, ascending. */
  hitsAfter(key: string, since: number): Maybe<number[]>;
  /** The key's failures not yet forgotten at `now`. */
  failures(key: string, now: number): Maybe<Failures | undefined>;
  addHit(key: string, at: number, expiresAt: number): Maybe<void>;
  /** Counts a failure at `at`: one more if the key's earlier ones are not yet forgotten, else the first. */
  addFailure(key: string, at: number, expiresAt: number): Maybe<void>;
}

export function* waitSteps(t: ThrottleTables, limits: readonly Limit[], now: number): Steps<number> {
  let wait = 0;
  for (const limit of limits) {
    const own = limit.kind === 'window'
      ? windowWait(yield* ask(t.hitsAfter(limit.key, now - limit.rule.windowMs)), limit.rule, now)
      : delayWait(yield* ask(t.failures(limit.key, now)), limit.rule, now);
    wait = Math.max(wait, own);
  }
  return wait;
}

export function* attemptSteps(t: ThrottleTables, limits: readonly Limit[], now: number): Steps<number> {
  const wait = yield* waitSteps(t, limits, now);
  if (wait > 0) return wait;
  for (const limit of limits) {
    if (limit.kind === 'window') yield* ask(t.addHit(limit.key, now, now + limit.rule.windowMs));
    else yield* ask(t.addFailure(limit.key, now, now + limit.rule.forgetAfterMs));
  }
  return 0;
}

/** The SQL both dialects share (`?` placeholders; PostgreSQL's adapter numbers them). */
export const THROTTLE_SQL = {
  hitsAfter: 'SELECT at FROM throttle_hits WHERE key = ? AND at > ? ORDER BY at',
  failures: 'SELECT count, last_at FROM throttle_failures WHERE key = ? AND expires_at > ?',
  addHit: 'INSERT INTO throttle_hits (key, at, expires_at) VALUES (?, ?, ?)',
  addFailure: `INSERT INTO throttle_failures (key, count, last_at, expires_at) VALUES (?, 1, ?, ?)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN throttle_failures.expires_at > excluded.last_at THEN throttle_failures.count + 1 ELSE 1 END,
      last_at = excluded.last_at, expires_at = excluded.expires_at`,
  clearFailures: 'DELETE FROM throttle_failures WHERE key = ?',
  sweepHits: 'DELETE FROM throttle_hits WHERE expires_at <= ?',
  sweepFailures: 'DELETE FROM throttle_failures WHERE expires_at <= ?',
} as const;

/** Throttles in the service's SQLite database: each attempt one synchronous transaction. */
export class SqliteThrottleStore implements ThrottleStore {
  private readonly tables: ThrottleTables;
  private readonly addFailureRow: Database.Statement;
  private readonly forgiveRow: Database.Statement;
  private readonly clearRow: Database.Statement;
  private readonly sweepRows: Database.Transaction<(now: number) => void>;
  private readonly inTransaction: Database.Transaction<(steps: () => Steps<number>) => number>;

  constructor(db: Database.Database) {
    const hitsAfter = db.prepare<[string, number], number>(THROTTLE_SQL.hitsAfter).pluck();
    const failures = db.prepare<[string, number], { count: number; last_at: number }>(THROTTLE_SQL.failures);
    const addHit = db.prepare(THROTTLE_SQL.addHit);
    this.addFailureRow = db.prepare(THROTTLE_SQL.addFailure);
    this.tables = {
      hitsAfter: (key, since) => hitsAfter.all(key, since),
      failures: (key, now) => {
        const row = failures.get(key, now);
        return row && { count: row.count, lastAt: row.last_at };
      },
      addHit: (key, at, expiresAt) => void addHit.run(key, at, expiresAt),
      addFailure: (key, at, expiresAt) => void this.addFailureRow.run(key, at, expiresAt),
    };
    this.forgiveRow = db.prepare('DELETE FROM throttle_hits WHERE rowid = (SELECT rowid FROM throttle_hits WHERE key = ? ORDER BY at DESC LIMIT 1)');
    this.clearRow = db.prepare(THROTTLE_SQL.clearFailures);
    const sweepHits = db.prepare(THROTTLE_SQL.sweepHits);
    const sweepFailures = db.prepare(THROTTLE_SQL.sweepFailures);
    this.sweepRows = db.transaction((now: number) => {
      sweepHits.run(now);
      sweepFailures.run(now);
    });
    this.inTransaction = db.transaction((steps: () => Steps<number>) => runSync(steps()));
  }

  async attempt(limits: readonly Limit[], now: number): Promise<number> {
    return this.inTransaction(() => attemptSteps(this.tables, limits, now));
  }

  async waitFor(limits: readonly Limit[], now: number): Promise<number> {
    return runSync(waitSteps(this.tables, limits, now));
  }

  async fail(limit: DelayLimit, now: number): Promise<void> {
    this.addFailureRow.run(limit.key, now, now + limit.rule.forgetAfterMs);
  }

  async forgiveOne(key: string): Promise<void> {
    this.forgiveRow.run(key);
  }

  async clearFailures(key: string): Promise<void> {
    this.clearRow.run(key);
  }

  async sweep(now: number): Promise<void> {
    this.sweepRows(now);
  }
}
