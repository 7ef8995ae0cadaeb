import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Entry } from '../../protocol/api.js';
import { hashBytes } from '../../protocol/contentHash.js';
import { isApiError } from '../errors.js';
import { dumpTree, openStoreFixture, replayChanges, seedContent, type StoreFixture } from '../../test/helpers/fileStoreFixture.js';
import { testDatabase } from '../../test/helpers/testDatabase.js';

let f: StoreFixture;
beforeEach(async () => { f = await openStoreFixture(); });
afterEach(() => f.close());

/** The stable code of the ApiError a promise rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!isApiError(error)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error.code;
}

async function commit(path: string, text: string, ifRev?: string | null) {
  const content = await seedContent(f.store, text);
  return f.store.commitFile(f.alice, { path, ...content, mtime: 5, ...(ifRev === undefined ? {} : { ifRev }) });
}

describe('tree', () => {
  test('mkdir, list and getEntry; folders need an existing folder parent', async () => {
    const docs = await f.store.mkdir(f.alice, '/docs', 42);
    expect(docs).toMatchObject({ path: '/docs', name: 'docs', kind: 'folder', size: 0, contentHash: null, mtime: 42 });
    const file = await commit('/docs/a.txt', 'hello');
    expect(file).toMatchObject({ path: '/docs/a.txt', kind: 'file', size: 5 });
    expect((await f.store.list(f.alice, '/')).map((e) => e.path)).toEqual(['/docs']);
    expect(await f.store.list(f.alice, '/docs')).toEqual([file]);
    expect(await f.store.getEntry(f.alice, '/docs/a.txt')).toEqual(file);
    expect(await f.store.getEntry(f.alice, '/nope')).toBeNull();
    expect(await codeOf(f.store.mkdir(f.alice, '/missing/x'))).toBe('parent_not_found');
    expect(await codeOf(f.store.mkdir(f.alice, '/docs/a.txt/x'))).toBe('not_a_folder');
    expect(await codeOf(commit('/missing/b.txt', 'x'))).toBe('parent_not_found');
    expect(await codeOf(f.store.list(f.alice, '/missing'))).toBe('not_found');
    expect(await codeOf(f.store.list(f.alice, '/docs/a.txt'))).toBe('not_a_folder');
  });

  test('mkdir of an existing folder answers it unchanged; of a file it refuses', async () => {
    const first = await f.store.mkdir(f.alice, '/d');
    expect(await f.store.mkdir(f.alice, '/d')).toEqual(first);
    await commit('/f', 'x');
    expect(await codeOf(f.store.mkdir(f.alice, '/f'))).toBe('already_exists');
  });

  test('names differing only in case clash within a folder, not across folders', async () => {
    await commit('/a.txt', 'x');
    expect(await codeOf(commit('/A.txt', 'y'))).toBe('case_conflict');
    expect(await codeOf(f.store.mkdir(f.alice, '/A.TXT'))).toBe('case_conflict');
    await f.store.mkdir(f.alice, '/sub');
    expect(await commit('/sub/A.txt', 'y')).toMatchObject({ path: '/sub/A.txt' });
    await f.store.mkdir(f.alice, '/other');
    expect(await codeOf(f.store.move(f.alice, '/other', '/SUB'))).toBe('case_conflict');
    // Renaming an entry to another case of its own name is fine.
    expect(await f.store.move(f.alice, '/a.txt', '/A.txt')).toMatchObject({ path: '/A.txt', name: 'A.txt' });
  });

  test('a folder move carries its subtree; descendants keep ids and revs', async () => {
    await f.store.mkdir(f.alice, '/a');
    await f.store.mkdir(f.alice, '/a/b');
    const deep = await commit('/a/b/c.txt', 'deep');
    await commit('/ab.txt', 'not below /a');
    const moved = await f.store.move(f.alice, '/a', '/x');
    expect(moved.path).toBe('/x');
    expect(await f.store.getEntry(f.alice, '/a/b/c.txt')).toBeNull();
    expect(await f.store.getEntry(f.alice, '/x/b/c.txt')).toEqual({ ...deep, path: '/x/b/c.txt' });
    expect((await f.store.list(f.alice, '/x/b')).map((e) => e.path)).toEqual(['/x/b/c.txt']);
    expect(await f.store.getEntry(f.alice, '/ab.txt')).not.toBeNull();
    expect([...(await dumpTree(f.store, f.alice)).keys()].sort()).toEqual(['/ab.txt', '/x', '/x/b', '/x/b/c.txt']);
  });

  test('moves with non-ASCII names rebase paths by characters, not bytes', async () => {
    await f.store.mkdir(f.alice, '/📁 résumé');
    await commit('/📁 résumé/ü.txt', 'x');
    await f.store.move(f.alice, '/📁 résumé', '/目录');
    expect((await f.store.list(f.alice, '/目录')).map((e) => e.path)).toEqual(['/目录/ü.txt']);
  });

  test('move refusals: into itself, onto an existing entry, missing source, stale ifRev', async () => {
    const a = await f.store.mkdir(f.alice, '/a');
    await f.store.mkdir(f.alice, '/a/b');
    await f.store.mkdir(f.alice, '/c');
    expect(await codeOf(f.store.move(f.alice, '/a', '/a/b/a'))).toBe('invalid_path');
    expect(await codeOf(f.store.move(f.alice, '/a', '/c'))).toBe('already_exists');
    expect(await codeOf(f.store.move(f.alice, '/zz', '/q'))).toBe('not_found');
    const stale = await f.store.move(f.alice, '/a', '/d', 'not-the-rev').catch((e: unknown) => e);
    expect(isApiError(stale) && stale.code === 'conflict' && stale.details).toEqual({ entry: a });
    expect(await f.store.move(f.alice, '/a', '/d', a.rev)).toMatchObject({ path: '/d' });
  });

  test('every change to an entry changes its rev', async () => {
    const v1 = await commit('/f', 'one');
    const v2 = await commit('/f', 'two', v1.rev);
    const moved = await f.store.move(f.alice, '/f', '/g');
    expect(new Set([v1.rev, v2.rev, moved.rev]).size).toBe(3);
    expect(v2.id).toBe(v1.id);
    expect(await codeOf(commit('/g', 'three', v2.rev))).toBe('conflict');
    expect(await codeOf(commit('/g', 'three', null))).toBe('conflict');
    expect(await codeOf(commit('/new', 'x', 'some-rev'))).toBe('conflict');
  });

  test('another user sees none of it', async () => {
    await f.store.mkdir(f.alice, '/private');
    await commit('/private/x', 'secret');
    expect(await f.store.list(f.bob, '/')).toEqual([]);
    expect(await f.store.getEntry(f.bob, '/private')).toBeNull();
    expect(await codeOf(f.store.move(f.bob, '/private', '/mine'))).toBe('not_found');
    expect(await codeOf(f.store.delete(f.bob, '/private'))).toBe('not_found');
    expect(await codeOf(f.store.list(f.bob, '/private'))).toBe('not_found');
    expect((await f.store.changes(f.bob, 0, 100)).changes).toEqual([]);
    // Bob may use the same names in his own tree.
    expect(await f.store.mkdir(f.bob, '/private')).toMatchObject({ path: '/private' });
  });
});

describe('trash', () => {
  // On PostgreSQL a tenth of it: the point (no argument list as long as the folder) is the shared tree logic's, and 200,000 rows
  // through PostgreSQL's per-row triggers and checks take minutes on the shared CI cores.
  const bigFolder = testDatabase === 'postgres' ? 20_000 : 200_000;

  test(`a folder of ${bigFolder} entries goes to the trash and comes back (its longest path is measured without a ${bigFolder}-argument call)`, async () => {
    await f.store.mkdir(f.alice, '/big');
    await f.query(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO file_entries (id, user_id, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime)
      SELECT 'big-' || i, ?, '/big/f' || i, '/big', 'f' || i, 'f' || i, 'folder', 0, NULL, '1', 0 FROM n
    `, [bigFolder, f.alice]);
    await f.store.delete(f.alice, '/big');
    const [item] = (await f.store.listTrash(f.alice)).filter((trashed) => trashed.entry.path === '/big');
    const restored = await f.store.restore(f.alice, item!.trashId, '/big-again');
    expect(restored.path).toBe('/big-again');
    const [counted] = await f.query("SELECT count(*) AS n FROM file_entries WHERE user_id = ? AND parent_path = '/big-again'", [f.alice]);
    expect(Number(counted!.n)).toBe(bigFolder);
  }, 120_000);

  test('delete moves a subtree to the trash; restore puts it back, at its place or elsewhere', async () => {
    await f.store.mkdir(f.alice, '/a');
    const inner = await commit('/a/in.txt', 'in');
    const deleted = await f.store.delete(f.alice, '/a');
    expect(deleted.path).toBe('/a');
    expect(await dumpTree(f.store, f.alice)).toEqual(new Map());
    f.clock.now += 1000;
    await commit('/loose', 'loose');
    await f.store.delete(f.alice, '/loose');
    const items = await f.store.listTrash(f.alice);
    expect(items.map((i) => i.entry.path)).toEqual(['/loose', '/a']);
    expect(await f.store.listTrash(f.bob)).toEqual([]);
    const folderItem = items[1]!;
    expect(await codeOf(f.store.restore(f.bob, folderItem.trashId))).toBe('not_found');

    await f.store.mkdir(f.alice, '/a');
    expect(await codeOf(f.store.restore(f.alice, folderItem.trashId))).toBe('already_exists');
    expect(await codeOf(f.store.restore(f.alice, folderItem.trashId, '/missing/a'))).toBe('parent_not_found');
    const restored = await f.store.restore(f.alice, folderItem.trashId, '/a/back');
    expect(restored).toMatchObject({ id: deleted.id, path: '/a/back', kind: 'folder' });
    expect(await f.store.getEntry(f.alice, '/a/back/in.txt')).toMatchObject({ id: inner.id, contentHash: inner.contentHash });
    expect((await f.store.listTrash(f.alice)).map((i) => i.entry.path)).toEqual(['/loose']);
  });

  test('delete honours ifRev', async () => {
    const file = await commit('/f', 'x');
    expect(await codeOf(f.store.delete(f.alice, '/f', 'stale'))).toBe('conflict');
    expect(await f.store.delete(f.alice, '/f', file.rev)).toEqual(file);
    expect(await codeOf(f.store.delete(f.alice, '/f'))).toBe('not_found');
  });
});

describe('content references', () => {
  test('live and trashed entries and previous versions hold content; purge releases it', async () => {
    const one = await commit('/one', 'first');
    expect(await f.store.collectableContent(f.clock.now + 1)).toEqual([]);
    f.clock.now += 10;
    await commit('/one', 'second', one.rev);
    // The replaced content is a version of /one now: still referenced.
    expect(await f.store.collectableContent(f.clock.now + 1)).toEqual([]);

    const two = await f.store.getEntry(f.alice, '/one');
    await commit('/copy', 'second');
    await f.store.delete(f.alice, '/one');
    await f.store.delete(f.alice, '/copy');
    f.clock.now += 10;
    expect(await f.store.collectableContent(f.clock.now + 1)).toEqual([]);
    expect(await f.store.purgeTrash(f.clock.now + 1)).toBe(2);
    expect(await f.store.listTrash(f.alice)).toEqual([]);
    expect((await f.store.collectableContent(f.clock.now + 1)).sort()).toEqual([one.contentHash, two!.contentHash].sort());

    await f.store.forgetContent(one.contentHash!);
    expect(await f.store.hasContent(one.contentHash!)).toBeNull();
    expect(await f.store.hasContent(two!.contentHash!)).toEqual({ size: 6 });
  });

  test('with no versions kept (maxVersionsPerFile 0), a replacement releases the replaced content at once', async () => {
    const g = await openStoreFixture({ maxVersionsPerFile: 0 });
    try {
      const first = await g.store.commitFile(g.alice, { path: '/one', ...(await seedContent(g.store, 'first')), mtime: 1 });
      g.clock.now += 10;
      await g.store.commitFile(g.alice, { path: '/one', ...(await seedContent(g.store, 'second')), mtime: 2 });
      expect(await g.store.collectableContent(g.clock.now)).toEqual([]);
      expect(await g.store.collectableContent(g.clock.now + 1)).toEqual([first.contentHash]);
      expect((await g.store.listVersions(g.alice, '/one')).versions.map((v) => v.current)).toEqual([true]);
      expect(await g.store.usedBytes(g.alice)).toBe(6);
    } finally {
      await g.close();
    }
  });

  test('re-committing the same content keeps it referenced; forget spares referenced content', async () => {
    const v1 = await commit('/f', 'same');
    await commit('/f', 'same', v1.rev);
    f.clock.now += 10;
    expect(await f.store.collectableContent(f.clock.now)).toEqual([]);
    await f.store.forgetContent(v1.contentHash!);
    expect(await f.store.hasContent(v1.contentHash!)).toEqual({ size: 4 });
  });

  test('registering again restarts the grace period of unreferenced content', async () => {
    const { contentHash } = await seedContent(f.store, 'orphan');
    f.clock.now += 100;
    expect(await f.store.collectableContent(f.clock.now)).toEqual([contentHash]);
    await f.store.registerContent(contentHash, 6);
    expect(await f.store.collectableContent(f.clock.now)).toEqual([]);
  });

  test('registerAndCommitFiles registers and commits together; a refused file leaves its content registered, collectable', async () => {
    await commit('/taken', 'old');
    const [a, b] = ['aaa', 'bbbb'].map((text) => ({ contentHash: hashBytes(Buffer.from(text)).contentHash, size: text.length }));
    const results = await f.store.registerAndCommitFiles(f.alice, [
      { path: '/a', ...a!, mtime: 1 },
      { path: '/taken', ...b!, mtime: 1, ifRev: null },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'conflict']);
    expect(await f.store.getEntry(f.alice, '/a')).toMatchObject({ size: 3, contentHash: a!.contentHash });
    expect(await f.store.hasContent(b!.contentHash)).toEqual({ size: 4 });
    f.clock.now += 100;
    expect(await f.store.collectableContent(f.clock.now)).toEqual([b!.contentHash]);
    // Registering again (a retried upload of the same bytes) restarts the grace period.
    await f.store.registerAndCommitFiles(f.alice, [{ path: '/b', ...b!, mtime: 2 }]);
    expect(await f.store.collectableContent(f.clock.now)).toEqual([]);
  });

  test('registerAndCommitFiles is one transaction: when it fails as a whole, nothing is registered either', async () => {
    const known = await seedContent(f.store, 'four');
    const fresh = { contentHash: hashBytes(Buffer.from('fresh')).contentHash, size: 5 };
    // A size that contradicts the registered one is a caller bug: the whole transaction rolls back.
    const error = await f.store.registerAndCommitFiles(f.alice, [
      { path: '/fresh', ...fresh, mtime: 1 },
      { path: '/lying', contentHash: known.contentHash, size: 99, mtime: 1 },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(isApiError(error)).toBe(false);
    expect(await f.store.hasContent(fresh.contentHash)).toBeNull();
    expect(await f.store.getEntry(f.alice, '/fresh')).toBeNull();
  });

  test('committing unregistered content is a programming error, not a refusal', async () => {
    const error = await f.store.commitFile(f.alice, { path: '/x', size: 1, contentHash: 'a'.repeat(64), mtime: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(isApiError(error)).toBe(false);
    expect(await f.store.getEntry(f.alice, '/x')).toBeNull();
  });
});

describe('batched commits', () => {
  test('a failing commit in a batch does not fail the others', async () => {
    const existing = await commit('/taken', 'old');
    const contents = await Promise.all(['a', 'b', 'c'].map((t) => seedContent(f.store, t)));
    const results = await Promise.allSettled([
      f.store.commitFile(f.alice, { path: '/a', ...contents[0]!, mtime: 1 }),
      f.store.commitFile(f.alice, { path: '/taken', ...contents[1]!, mtime: 1, ifRev: null }),
      f.store.commitFile(f.alice, { path: '/c', ...contents[2]!, mtime: 1 }),
      f.store.mkdir(f.alice, '/no/parent'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect(await f.store.getEntry(f.alice, '/taken')).toEqual(existing);
    expect([...(await dumpTree(f.store, f.alice)).keys()].sort()).toEqual(['/a', '/c', '/taken']);
  });

  test('commitFiles answers each file on its own', async () => {
    await commit('/taken', 'old');
    const x = await seedContent(f.store, 'x');
    const results = await f.store.commitFiles(f.alice, [
      { path: '/one', ...x, mtime: 1 },
      { path: '/taken', ...x, mtime: 1, ifRev: null },
      { path: '/missing/two', ...x, mtime: 1 },
      { path: '/three', ...x, mtime: 1 },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'conflict', 'parent_not_found', 'ok']);
    const conflict = results[1]!;
    expect(!conflict.ok && conflict.details?.entry).toMatchObject({ path: '/taken' });
    expect((await f.store.changes(f.alice, 0, 100)).changes.map((c) => c.path)).toEqual(['/taken', '/one', '/three']);
  });

  /** A batch where new files (written together) mix with files each batch must answer on its own. */
  async function mixedBatch(userId: string) {
    await f.store.mkdir(userId, '/d');
    const old = await seedContent(f.store, 'old');
    await f.store.commitFile(userId, { path: '/d/old', ...old, mtime: 1 });
    const [a, b, b2, c] = await Promise.all(['aa', 'bbb', 'bbbb', 'ccccc'].map((text) => seedContent(f.store, text)));
    return [
      { path: '/d/a', ...a!, mtime: 2 },
      { path: '/d/old', ...b!, mtime: 2 }, // replaces: on its own
      { path: '/d/A', ...c!, mtime: 2 }, // clashes with /d/a of this batch
      { path: '/missing/x', ...c!, mtime: 2 },
      { path: '/d/b', ...b!, mtime: 2, ifRev: null },
      { path: '/d/b', ...b2!, mtime: 3 }, // replaces /d/b of this batch
      { path: '/d/c', ...c!, mtime: 2, ifRev: '1' }, // a rev precondition on nothing
      { path: '/d/OLD', ...c!, mtime: 2 }, // clashes with /d/old
      { path: '/d/e', ...a!, mtime: 2 }, // the same content as /d/a
      { path: '/d/f', ...c!, mtime: 2, device: 'laptop' },
    ];
  }

  test('new files of a batch are written together, and every file is answered as if committed alone, in order', async () => {
    const batch = await mixedBatch(f.alice);
    const bob = await f.addUser('bob-alone');
    const alone = await mixedBatch(bob);
    const expected: string[] = [];
    for (const file of alone) {
      expected.push(await f.store.commitFile(bob, file).then(() => 'ok', (error: unknown) => (isApiError(error) ? error.code : 'error')));
    }
    const results = await f.store.commitFiles(f.alice, batch);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(expected);
    expect(expected).toEqual(['ok', 'ok', 'case_conflict', 'parent_not_found', 'ok', 'ok', 'conflict', 'case_conflict', 'ok', 'ok']);
    const shape = (tree: Map<string, Entry>) => [...tree.values()].map(({ path, kind, size, contentHash, mtime }) => ({ path, kind, size, contentHash, mtime }));
    expect(shape(await dumpTree(f.store, f.alice))).toEqual(shape(await dumpTree(f.store, bob)));

    // The feed numbers every change once, without gaps, and replaying it rebuilds the tree.
    const { changes } = await f.store.changes(f.alice, 0, 100);
    expect(changes.map((c) => c.seq)).toEqual(changes.map((_, i) => i + 1));
    // The new files were written together, first; the replacements after them, in order.
    expect(changes.map((c) => `${c.op} ${c.path}`)).toEqual([
      'create /d', 'create /d/old', 'create /d/a', 'create /d/b', 'create /d/e', 'create /d/f', 'update /d/old', 'update /d/b',
    ]);
    expect(replayChanges(changes)).toEqual(await dumpTree(f.store, f.alice));
    for (const result of results) {
      if (result.ok) expect(changes).toContainEqual(expect.objectContaining({ seq: Number(result.entry.rev), path: result.entry.path }));
    }

    // Versions, references and used bytes as one by one: /d/b's first content is a previous version.
    expect((await f.store.listVersions(f.alice, '/d/b')).versions.map((v) => [v.size, v.current])).toEqual([[4, true], [3, false]]);
    expect((await f.store.listVersions(f.alice, '/d/f')).versions).toMatchObject([{ device: 'laptop', current: true }]);
    const refcounts = async (userId: string) => f.query(`SELECT c.size AS size, c.refcount AS refcount FROM file_contents c
      WHERE c.content_hash IN (SELECT content_hash FROM file_versions WHERE user_id = ?) ORDER BY c.size`, [userId]);
    // Both users hold, by size: "aa" twice (/d/a, /d/e), "bbb" twice (/d/old, /d/b's previous version), "old"
    // once (/d/old's previous version), "bbbb" and "ccccc" once; the contents are shared, so each count is doubled.
    expect((await refcounts(f.alice)).map((r) => [Number(r.size), Number(r.refcount)])).toEqual([[2, 4], [3, 4], [3, 2], [4, 2], [5, 2]]);
    expect(await f.store.usedBytes(f.alice)).toBe(await f.store.usedBytes(bob));
  });

  test('when writing the new files together fails, none of them is left half-written', async () => {
    const [a, b] = await Promise.all(['aa', 'bbb'].map((text) => seedContent(f.store, text)));
    const before = await f.store.latestCursor(f.alice);
    // A write only a broken database refuses: the batch fails as a whole, as it did one file at a time.
    if (testDatabase === 'postgres') {
      await f.query(`CREATE FUNCTION refuse_666() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.mtime = 666 THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
      await f.query('CREATE TRIGGER refuse_666 BEFORE INSERT ON file_versions FOR EACH ROW EXECUTE FUNCTION refuse_666()');
    } else {
      await f.query("CREATE TRIGGER refuse_666 BEFORE INSERT ON file_versions WHEN NEW.mtime = 666 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    }
    const error = await f.store.commitFiles(f.alice, [
      { path: '/a', ...a!, mtime: 1 },
      { path: '/b', ...b!, mtime: 666 },
    ]).catch((e: unknown) => e);
    expect(String(error)).toContain('refused by the test');
    expect(await dumpTree(f.store, f.alice)).toEqual(new Map());
    expect(await f.store.latestCursor(f.alice)).toBe(before);
    expect((await f.query('SELECT refcount FROM file_contents WHERE content_hash = ?', [a!.contentHash]))[0]).toMatchObject({ refcount: 0 });
  });
});

describe('used bytes (what the quota counts)', () => {
  /** The same figure recomputed from the rows: what the triggers must keep equal. */
  const recount = async (userId: string) => Number((await f.query(`SELECT
      (SELECT COALESCE(SUM(size), 0) FROM file_entries WHERE user_id = ?)
    + (SELECT COALESCE(SUM(e.size), 0) FROM file_trash_entries e JOIN file_trash t ON t.id = e.trash_id WHERE t.user_id = ?)
    + (SELECT COALESCE(SUM(size), 0) FROM file_versions WHERE user_id = ? AND replaced_at IS NOT NULL) AS bytes`,
  [userId, userId, userId]))[0]!.bytes);

  test('follows commits, replacements, moves, deletes to the trash, restores and purges, per user', async () => {
    await f.store.mkdir(f.alice, '/d');
    await commit('/d/a.txt', 'aaaa');
    await commit('/d/b.txt', 'bb');
    expect(await f.store.usedBytes(f.alice)).toBe(6);
    // The replaced 4 bytes stay, as a previous version of /d/a.txt.
    const replaced = await commit('/d/a.txt', 'a');
    expect(await f.store.usedBytes(f.alice)).toBe(7);
    expect(replaced.size).toBe(1);
    await f.store.move(f.alice, '/d', '/e');
    expect(await f.store.usedBytes(f.alice)).toBe(7);
    await f.store.delete(f.alice, '/e');
    expect(await f.store.usedBytes(f.alice)).toBe(7);
    const [item] = await f.store.listTrash(f.alice);
    await f.store.restore(f.alice, item!.trashId);
    await f.store.delete(f.alice, '/e/b.txt');
    expect([await f.store.usedBytes(f.alice), await recount(f.alice)]).toEqual([7, 7]);
    await f.store.purgeTrash(Date.now() + 1);
    expect([await f.store.usedBytes(f.alice), await recount(f.alice)]).toEqual([5, 5]);
    await f.store.pruneVersions(f.clock.now + 1);
    expect([await f.store.usedBytes(f.alice), await recount(f.alice)]).toEqual([1, 1]);
    expect(await f.store.usedBytes(f.bob)).toBe(0);
  });
});
