import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { seedContent } from '../../test/helpers/fileStoreFixture.js';
import { queryDatabase } from '../../test/helpers/serverDb.js';
import { dropTestDatabase, freshDatabaseUrl } from '../../test/helpers/testDatabase.js';
import { authMigrations, authPgMigrations } from '../auth/schema.js';
import { migratePostgres, type Migration } from '../db/migrate.js';
import { PgDatabase } from '../db/postgres.js';
import { openSqlite } from '../db/sqlite.js';
import { InProcessChangeNotifier } from './changeNotifier.js';
import type { FileStore } from './fileStore.js';
import { PgFileStore } from './pgFileStore.js';
import { filesMigrations, filesPgMigrations } from './schema.js';
import { SqliteFileStore } from './sqliteFileStore.js';

const withoutVersions = (steps: readonly Migration[]) => steps.filter((step) => step.id !== 'files-0003-versions');

/**
 * A database at the schema before files-0003-versions, and a way to bring it
 * up to date and open a store on it: SQLite in a temp folder, or in the
 * PostgreSQL run a fresh PostgreSQL database.
 */
async function oldDatabase(): Promise<{
  query(sql: string, params?: readonly unknown[]): Promise<unknown>;
  upgrade(): Promise<{ store: FileStore; close(): Promise<void> }>;
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-versions-migration-'));
  const where = { databaseUrl: await freshDatabaseUrl(), sqliteFile: join(dir, 'netdisk.sqlite') };
  const { databaseUrl } = where;
  const now = () => 5000;
  if (databaseUrl === undefined) {
    openSqlite(where.sqliteFile, [...authMigrations, ...withoutVersions(filesMigrations)]).close();
  } else {
    const db = new PgDatabase(databaseUrl);
    await migratePostgres(db, [...authPgMigrations, ...withoutVersions(filesPgMigrations)]).finally(() => db.close());
  }
  return {
    query: (sql, params = []) => queryDatabase(where, sql, params),
    async upgrade() {
      if (databaseUrl === undefined) {
        const db = openSqlite(where.sqliteFile, [...authMigrations, ...filesMigrations]);
        return { store: new SqliteFileStore(db, { now }), close: async () => { db.close(); } };
      }
      const db = new PgDatabase(databaseUrl);
      await migratePostgres(db, [...authPgMigrations, ...filesPgMigrations]);
      const store = new PgFileStore(db, new InProcessChangeNotifier(), now);
      return { store, close: async () => { await store.idle(); await db.close(); } };
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(databaseUrl);
    },
  };
}

test('files-0003-versions gives every file there already is (live or in the trash) its current version, so replacing one keeps what it held', async () => {
  const old = await oldDatabase();
  try {
    const userId = randomUUID();
    await old.query('INSERT INTO users (id, username, display_name, created_at) VALUES (?, ?, ?, ?)', [userId, 'ada', 'ada', 1]);
    // The store of before versions, as far as the tree goes: its statements do not touch file_versions.
    await old.query(`INSERT INTO file_contents (content_hash, size, refcount) VALUES ('${'a'.repeat(64)}', 3, 1), ('${'b'.repeat(64)}', 5, 1)`);
    await old.query(`INSERT INTO file_entries (id, user_id, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime)
      VALUES (?, ?, '/live.txt', '/', 'live.txt', 'live.txt', 'file', 3, ?, '1', 1000)`, [randomUUID(), userId, 'a'.repeat(64)]);
    await old.query('INSERT INTO file_trash (id, user_id, path, deleted_at) VALUES (?, ?, ?, ?)', ['t1', userId, '/gone.txt', 2000]);
    await old.query(`INSERT INTO file_trash_entries (trash_id, id, path, kind, size, content_hash, rev, mtime)
      VALUES ('t1', ?, '/gone.txt', 'file', 5, ?, '2', 1500)`, [randomUUID(), 'b'.repeat(64)]);

    const { store, close } = await old.upgrade();
    try {
      expect((await store.listVersions(userId, '/live.txt')).versions).toEqual([
        { versionId: expect.stringMatching(/^[0-9a-f]{32}$/), size: 3, contentHash: 'a'.repeat(64), mtime: 1000, writtenAt: 1000, device: null, current: true },
      ]);
      await store.commitFile(userId, { path: '/live.txt', ...(await seedContent(store, 'new!')), mtime: 4000, device: 'pc' });
      const { versions } = await store.listVersions(userId, '/live.txt');
      expect(versions.map((v) => [v.current, v.size, v.device])).toEqual([[true, 4, 'pc'], [false, 3, null]]);
      // The old content is held by its version now; usage counts it (live 4 + version 3 + trash 5).
      expect(await store.collectableContent(10_000)).toEqual([]);
      expect(await store.usedBytes(userId)).toBe(12);
      const [trashed] = await store.listTrash(userId);
      await store.restore(userId, trashed!.trashId);
      expect((await store.listVersions(userId, '/gone.txt')).versions.map((v) => [v.current, v.size])).toEqual([[true, 5]]);
    } finally {
      await close();
    }
  } finally {
    await old.close();
  }
});
