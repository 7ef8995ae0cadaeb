import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { CommitBatcher } from './commitBatcher.js';

let dir: string;
let db: Database.Database;
let commits: string[][];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'netdisk-batcher-'));
  db = new Database(join(dir, 'b.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE parent (id TEXT PRIMARY KEY);
    CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);`);
  commits = [];
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (id: string) => () => db.prepare('INSERT INTO parent (id) VALUES (?)').run(id).changes;
const ids = () => db.prepare('SELECT id FROM parent ORDER BY id').pluck().all();
const onCommitted = (users: ReadonlySet<string>) => commits.push([...users].sort());

test('jobs queued together share one transaction; a failing job is rolled back alone', async () => {
  const batcher = new CommitBatcher(db, { onCommitted });
  const results = await Promise.allSettled([
    batcher.run('u1', insert('a')),
    batcher.run('u2', () => { insert('half-done')(); throw new Error('precondition failed'); }),
    batcher.run('u2', insert('c')),
    batcher.run('u3', insert('a')), // duplicate key: fails inside its own savepoint
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  expect(ids()).toEqual(['a', 'c']);
  expect(commits).toEqual([['u1', 'u2']]);
});

test('without batching every job is its own transaction', async () => {
  const batcher = new CommitBatcher(db, { batching: false, onCommitted });
  await Promise.all([batcher.run('u1', insert('a')), batcher.run('u1', insert('b')), batcher.run('u2', insert('c'))]);
  expect(commits).toEqual([['u1'], ['u1'], ['u2']]);
});

test('a full batch flushes without waiting for the next turn', async () => {
  const batcher = new CommitBatcher(db, { maxBatch: 2, onCommitted });
  await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => batcher.run('u', insert(id))));
  expect(commits.length).toBe(3);
  expect(ids()).toEqual(['a', 'b', 'c', 'd', 'e']);
});

test('when the commit itself fails, every job of the batch is refused and nothing is written', async () => {
  const batcher = new CommitBatcher(db, { onCommitted });
  const results = await Promise.allSettled([
    batcher.run('u', insert('a')),
    // A deferred foreign key is only checked at COMMIT.
    batcher.run('u', () => db.prepare("INSERT INTO child (id, parent_id) VALUES ('x', 'no-such-parent')").run().changes),
  ]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  expect(ids()).toEqual([]);
  expect(db.inTransaction).toBe(false);
  expect(commits).toEqual([]);
  // The batcher keeps working afterwards.
  await batcher.run('u', insert('b'));
  expect(ids()).toEqual(['b']);
});
