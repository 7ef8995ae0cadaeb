import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { authMigrations } from '../auth/schema.js';
import { openSqlite } from '../db/sqlite.js';
import { seedContent } from '../../test/helpers/fileStoreFixture.js';
import { filesMigrations } from './schema.js';
import { SqliteFileStore } from './sqliteFileStore.js';

test('files-0003-versions gives every file there already is (live or in the trash) its current version, so replacing one keeps what it held', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-versions-migration-'));
  try {
    const path = join(dir, 'netdisk.sqlite');
    const before = filesMigrations.filter((step) => step.id !== 'files-0003-versions');
    const old = openSqlite(path, [...authMigrations, ...before]);
    const userId = randomUUID();
    old.prepare('INSERT INTO users (id, username, display_name, created_at) VALUES (?, ?, ?, ?)').run(userId, 'ada', 'ada', 1);
    // The store of before versions, as far as the tree goes: its statements do not touch file_versions.
    old.exec(`INSERT INTO file_contents (content_hash, size, refcount) VALUES ('${'a'.repeat(64)}', 3, 1), ('${'b'.repeat(64)}', 5, 1)`);
    old.prepare(`INSERT INTO file_entries (id, user_id, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime)
      VALUES (?, ?, '/live.txt', '/', 'live.txt', 'live.txt', 'file', 3, ?, '1', 1000)`).run(randomUUID(), userId, 'a'.repeat(64));
    old.prepare('INSERT INTO file_trash (id, user_id, path, deleted_at) VALUES (?, ?, ?, ?)').run('t1', userId, '/gone.txt', 2000);
    old.prepare(`INSERT INTO file_trash_entries (trash_id, id, path, kind, size, content_hash, rev, mtime)
      VALUES ('t1', ?, '/gone.txt', 'file', 5, ?, '2', 1500)`).run(randomUUID(), 'b'.repeat(64));
    old.close();

    const db = openSqlite(path, [...authMigrations, ...filesMigrations]);
    try {
      const store = new SqliteFileStore(db, { now: () => 5000 });
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
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
