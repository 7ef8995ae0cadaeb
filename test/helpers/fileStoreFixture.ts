import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Change, Entry } from '../../protocol/api.js';
import { isSameOrBelow, ROOT } from '../../protocol/paths.js';
import { authMigrations } from '../../server/auth/schema.js';
import { openSqlite } from '../../server/db/sqlite.js';
import type { FileStore } from '../../server/files/fileStore.js';
import { filesMigrations } from '../../server/files/schema.js';
import { SqliteFileStore, type SqliteFileStoreOptions } from '../../server/files/sqliteFileStore.js';

export interface StoreFixture {
  db: Database.Database;
  store: SqliteFileStore;
  alice: string;
  bob: string;
  /** The store's clock; tests move it. */
  clock: { now: number };
  close(): void;
}

/** A SqliteFileStore on a real SQLite file in a temp folder, with two users. */
export function openStoreFixture(options: Omit<SqliteFileStoreOptions, 'now'> = {}): StoreFixture {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-files-'));
  const db = openSqlite(join(dir, 'netdisk.sqlite'), [...authMigrations, ...filesMigrations]);
  const clock = { now: 1_700_000_000_000 };
  const addUser = (username: string): string => {
    const id = randomUUID();
    db.prepare('INSERT INTO users (id, username, display_name, created_at) VALUES (?, ?, ?, ?)').run(id, username, username, clock.now);
    return id;
  };
  const alice = addUser('alice');
  const bob = addUser('bob');
  return {
    db,
    store: new SqliteFileStore(db, { ...options, now: () => clock.now }),
    alice,
    bob,
    clock,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
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
