import type Database from 'better-sqlite3';

/** Runs `work` as one transaction (a savepoint inside another), all or nothing. */
export type InTransaction = <T>(work: () => T) => T;

/**
 * One better-sqlite3 transaction function for the whole connection, given
 * the work as its argument. `db.transaction(fn)` builds a new wrapper (and
 * its four variants) on every call: on the sync's per-file paths that was
 * ~260 MB of garbage for a 100,000-file initial sync.
 */
export function transactionRunner(db: Database.Database): InTransaction {
  const run = db.transaction((work: () => unknown) => work());
  return <T>(work: () => T) => run(work) as T;
}
