import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { allMigrations } from '../../server/app.js';
import { DATABASE_FILE, openMetadata, type Metadata } from '../../server/metadata.js';
import type { TestServer } from './testServer.js';

/**
 * A second handle on a running test service's metadata, on whichever
 * database it uses (its SQLite file, or its PostgreSQL database), as a
 * maintenance process or, on PostgreSQL, another node would open it.
 */
export function openServerMetadata(server: TestServer, now: () => number = Date.now): Promise<Metadata> {
  return openMetadata(server.config, allMigrations(), now);
}

/**
 * Runs one statement on a running test service's database, to check what a
 * request did (or did not) store: `?` placeholders, the rows it returns.
 * SQLite: a second connection beside the server's (WAL lets it read).
 */
export function queryServerDb(server: TestServer, sql: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
  return queryDatabase({ databaseUrl: server.config.databaseUrl, sqliteFile: join(server.config.dataDir, DATABASE_FILE) }, sql, params);
}

/** `queryServerDb` on a database named directly: PostgreSQL when `databaseUrl` is set, else the SQLite file. */
export async function queryDatabase(
  where: { databaseUrl: string | undefined; sqliteFile: string }, sql: string, params: readonly unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const url = where.databaseUrl;
  if (url !== undefined) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), [...params])).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  }
  const db = new Database(where.sqliteFile);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  try {
    const statement = db.prepare(sql);
    if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
    statement.run(...params);
    return [];
  } finally {
    db.close();
  }
}

export async function countRows(server: TestServer, table: string): Promise<number> {
  return Number((await queryServerDb(server, `SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
}
