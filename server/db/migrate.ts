import type Database from 'better-sqlite3';
import type { PgDatabase } from './postgres.js';

/**
 * One schema step, identified by a stable id such as `files-0001-entries`.
 * A step never changes once shipped; later changes are new steps. Tracking
 * applied ids (not one version number) lets each module own its own steps.
 * A module writes each step twice, in SQLite's and in PostgreSQL's dialect,
 * under the same id.
 */
export interface Migration {
  id: string;
  sql: string;
}

function checkUniqueIds(migrations: readonly Migration[]): void {
  const ids = new Set<string>();
  for (const step of migrations) {
    if (ids.has(step.id)) throw new Error(`duplicate migration id ${step.id}`);
    ids.add(step.id);
  }
}

const CREATE_LEDGER = 'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)';

/** Applies, in order, each migration not yet recorded, each in its own transaction. */
export function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  checkUniqueIds(migrations);
  db.exec(CREATE_LEDGER);
  const applied = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as string[]);
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  for (const step of migrations) {
    if (applied.has(step.id)) continue;
    db.transaction(() => {
      db.exec(step.sql);
      record.run(step.id, Date.now());
    })();
  }
}

/** Any constant: the key of the session lock that lets one node at a time migrate. */
const MIGRATION_LOCK = 0x6e6574646973; // "netdis"

/**
 * The same on PostgreSQL. Nodes starting together take turns under an
 * advisory lock: the first applies the steps, the others then find them
 * recorded. Returns the ids it applied.
 */
export async function migratePostgres(db: PgDatabase, migrations: readonly Migration[]): Promise<string[]> {
  checkUniqueIds(migrations);
  const client = await db.pool.connect();
  const done: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(CREATE_LEDGER);
    const applied = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((row) => row.id));
    for (const step of migrations) {
      if (applied.has(step.id)) continue;
      try {
        await client.query('BEGIN');
        await client.query(step.sql);
        await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [step.id, Date.now()]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${step.id} failed: ${(error as Error).message}`, { cause: error });
      }
      done.push(step.id);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  return done;
}
