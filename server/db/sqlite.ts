import Database from 'better-sqlite3';
import { migrate, type Migration } from './migrate.js';

/**
 * Opens the service's SQLite database. WAL lets readers run beside the writer;
 * synchronous=FULL makes every commit durable, which the commit batcher pays
 * for once per batch instead of once per file; temporary tables and statement
 * journals stay in memory.
 */
export function openSqlite(file: string, migrations: readonly Migration[]): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // The commit batcher runs each job in a savepoint, and SQLite keeps the
  // pages a savepoint could roll back in a statement journal that spills to a
  // temp file past 64 KiB: a 5,000-file initial sync made ~178,000 pwrites
  // (366 MB) to /var/tmp. Kept in memory, a batch's journal is a few MB.
  db.pragma('temp_store = MEMORY');
  migrate(db, migrations);
  return db;
}
