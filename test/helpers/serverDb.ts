import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { TestServer } from './testServer.js';

/**
 * Runs `use` on a second connection to a running test server's SQLite file,
 * to check what a request did (or did not) store. WAL lets it read beside the server.
 */
export function withServerDb<T>(server: TestServer, use: (db: Database.Database) => T): T {
  const db = new Database(join(server.config.dataDir, 'netdisk.sqlite'));
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  try {
    return use(db);
  } finally {
    db.close();
  }
}

export function countRows(server: TestServer, table: string): number {
  return withServerDb(server, (db) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number);
}
