import type Database from 'better-sqlite3';

/**
 * One schema step, identified by a stable id such as `files-0001-entries`.
 * A step never changes once shipped; later changes are new steps. Tracking
 * applied ids (not one version number) lets each module own its own steps.
 */
export interface Migration {
  id: string;
  sql: string;
}

/** Applies, in order, each migration not yet recorded, each in its own transaction. */
export function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  const ids = new Set<string>();
  for (const step of migrations) {
    if (ids.has(step.id)) throw new Error(`duplicate migration id ${step.id}`);
    ids.add(step.id);
  }
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
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
