import Database from 'better-sqlite3';
import { migrate, type Migration } from './migrate.js';

/**
 * Opens the service's SQLite database. WAL lets readers run beside the writer;
 * synchronous=FULL makes every commit durable, which the commit batcher pays
 * for once per batch instead of once per file.
 */
export function openSqlite(file: string, migrations: readonly Migration[]): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}
