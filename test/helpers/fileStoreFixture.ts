import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Change, Entry } from '../../protocol/api.js';
import { isSameOrBelow, ROOT } from '../../protocol/paths.js';
import { authMigrations, authPgMigrations } from '../../server/auth/schema.js';
import { migratePostgres } from '../../server/db/migrate.js';
import { PgDatabase } from '../../server/db/postgres.js';
import { openSqlite } from '../../server/db/sqlite.js';
import type { FileStore } from '../../server/files/fileStore.js';
import { PgChangeNotifier } from '../../server/files/pgChangeNotifier.js';
import { PgFileStore } from '../../server/files/pgFileStore.js';
import { filesMigrations, filesPgMigrations } from '../../server/files/schema.js';
import { SqliteFileStore, type SqliteFileStoreOptions } from '../../server/files/sqliteFileStore.js';
import { queryDatabase } from './serverDb.js';
import { dropTestDatabase, freshDatabaseUrl } from './testDatabase.js';

export interface StoreFixture {
  store: FileStore;
  alice: string;
  bob: string;
  /** The store's clock; tests move it. */
  clock: { now: number };
  /**
   * On PostgreSQL: a second FileStore on the same database, with its own
   * connections, batcher and LISTEN connection, as a second node has.
   */
  secondNode(): Promise<{ store: FileStore; close(): Promise<void> }>;
  /** Another user with an empty tree. */
  addUser(username: string): Promise<string>;
  /** One statement on the store's database (`?` placeholders), for what the port does not show. */
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * A FileStore with two users on a real database: SQLite in a temp folder, or
 * in the PostgreSQL run (testDatabase.ts) a fresh PostgreSQL database.
 */
export async function openStoreFixture(options: Omit<SqliteFileStoreOptions, 'now'> = {}): Promise<StoreFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-files-'));
  const where = { databaseUrl: await freshDatabaseUrl(), sqliteFile: join(dir, 'netdisk.sqlite') };
  const clock = { now: 1_700_000_000_000 };
  const now = () => clock.now;
  const { databaseUrl } = where;
  const pgNode = async () => {
    if (databaseUrl === undefined) throw new Error('a second node needs PostgreSQL');
    const db = new PgDatabase(databaseUrl);
    await migratePostgres(db, [...authPgMigrations, ...filesPgMigrations]);
    const notifier = new PgChangeNotifier(db);
    await notifier.start();
    const pgStore = new PgFileStore(db, notifier, now, options);
    return {
      store: pgStore as FileStore,
      async close() {
        await pgStore.idle();
        await notifier.close();
        await db.close();
      },
    };
  };
  let store: FileStore;
  let closeStore: () => Promise<void>;
  if (databaseUrl === undefined) {
    const db = openSqlite(where.sqliteFile, [...authMigrations, ...filesMigrations]);
    store = new SqliteFileStore(db, { ...options, now });
    closeStore = async () => { db.close(); };
  } else {
    ({ store, close: closeStore } = await pgNode());
  }
  const query = (sql: string, params: readonly unknown[] = []) => queryDatabase(where, sql, params);
  const addUser = async (username: string): Promise<string> => {
    const id = randomUUID();
    await query('INSERT INTO users (id, username, display_name, created_at) VALUES (?, ?, ?, ?)', [id, username, username, clock.now]);
    return id;
  };
  return {
    store,
    alice: await addUser('alice'),
    bob: await addUser('bob'),
    clock,
    secondNode: pgNode,
    addUser,
    query,
    close: async () => {
      await closeStore();
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(where.databaseUrl);
    },
  };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Registers `text` as stored content and returns what a commit of it needs. */
export async function seedContent(store: FileStore, text: string): Promise<{ contentHash: string; size: number }> {
  const content = { contentHash: sha256Hex(text), size: Buffer.byteLength(text) };
  await store.registerContent(content.contentHash, content.size);
  return content;
}

/** Every entry of a user's live tree, by path. */
export async function dumpTree(store: FileStore, userId: string, folder = ROOT, into = new Map<string, Entry>()): Promise<Map<string, Entry>> {
  for (const entry of await store.list(userId, folder)) {
    into.set(entry.path, entry);
    if (entry.kind === 'folder') await dumpTree(store, userId, entry.path, into);
  }
  return into;
}

/** Applies a change feed the way a client does: a folder move or delete covers the subtree. */
export function replayChanges(changes: readonly Change[], tree = new Map<string, Entry>()): Map<string, Entry> {
  for (const change of changes) {
    if (change.op === 'create' || change.op === 'update') {
      tree.set(change.path, change.entry);
    } else if (change.op === 'delete') {
      for (const path of [...tree.keys()]) if (isSameOrBelow(path, change.path)) tree.delete(path);
    } else {
      const from = change.fromPath!;
      const moved = [...tree.entries()].filter(([path]) => isSameOrBelow(path, from));
      for (const [path] of moved) tree.delete(path);
      for (const [path, entry] of moved) {
        const to = change.path + path.slice(from.length);
        tree.set(to, path === from ? change.entry : { ...entry, path: to });
      }
    }
  }
  return tree;
}
