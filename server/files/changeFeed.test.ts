import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Change } from '../../protocol/api.js';
import { isApiError } from '../errors.js';
import { dumpTree, openStoreFixture, replayChanges, seedContent, type StoreFixture } from '../../test/helpers/fileStoreFixture.js';
import type { FileStore } from './fileStore.js';

async function allChanges(store: FileStore, userId: string, pageSize: number, cursor = 0): Promise<Change[]> {
  const out: Change[] = [];
  for (;;) {
    const page = await store.changes(userId, cursor, pageSize);
    out.push(...page.changes);
    cursor = page.cursor;
    if (!page.hasMore) return out;
  }
}

const PATHS = ['/a', '/b', '/A', '/a/c', '/b/c', '/a/c/d', '/b/c/D'];
const pathArb = fc.constantFrom(...PATHS);
const opArb = fc.oneof(
  fc.record({ op: fc.constant('mkdir' as const), path: pathArb }),
  fc.record({ op: fc.constant('commit' as const), path: pathArb, text: fc.constantFrom('x', 'y', 'z') }),
  fc.record({ op: fc.constant('move' as const), path: pathArb, to: pathArb }),
  fc.record({ op: fc.constant('delete' as const), path: pathArb }),
  fc.record({ op: fc.constant('restore' as const), to: fc.option(pathArb, { nil: undefined }) }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

async function apply(f: StoreFixture, op: Op): Promise<void> {
  const { store, alice } = f;
  switch (op.op) {
    case 'mkdir': {
      // Ancestors too (like mkdir -p), so that subtrees are common enough to be moved and deleted.
      const parts = op.path.split('/').slice(1);
      for (let i = 1; i <= parts.length; i++) await store.mkdir(alice, `/${parts.slice(0, i).join('/')}`);
      return;
    }
    case 'commit': return void (await store.commitFile(alice, { path: op.path, ...(await seedContent(store, op.text)), mtime: 1 }));
    case 'move': return void (await store.move(alice, op.path, op.to));
    case 'delete': return void (await store.delete(alice, op.path));
    case 'restore': {
      const item = (await store.listTrash(alice))[0];
      if (item) await store.restore(alice, item.trashId, op.to);
    }
  }
}

describe('change feed', () => {
  test('replaying the feed from 0, in any page size, rebuilds exactly the current tree', async () => {
    // One database for all runs, each run in a new user's empty tree (trees and feeds are per user).
    const shared = await openStoreFixture();
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 7 }), async (ops, pageSize) => {
      const f = { ...shared, alice: await shared.addUser(`run-${randomUUID()}`) };
      const seen: Change[] = [];
      for (const op of ops) {
        await apply(f, op).catch((error: unknown) => { if (!isApiError(error)) throw error; });
        // A client that follows along page by page ends in the same place.
        seen.push(...(await allChanges(f.store, f.alice, pageSize, seen.at(-1)?.seq ?? 0)));
      }
      const tree = await dumpTree(f.store, f.alice);
      expect(replayChanges(await allChanges(f.store, f.alice, pageSize))).toEqual(tree);
      expect(replayChanges(seen)).toEqual(tree);
      expect(seen.map((c) => c.seq)).toEqual(seen.map((_, i) => i + 1));
    }), { numRuns: 60 }).finally(() => shared.close());
    // 60 runs of up to 40 writes each: long on PostgreSQL over loopback on busy shared cores.
  }, 180_000);

  describe('shape', () => {
    let f: StoreFixture;
    beforeEach(async () => { f = await openStoreFixture(); });
    afterEach(() => f.close());

    test('a folder move or delete is one change; a restore creates parents first', async () => {
      await f.store.mkdir(f.alice, '/a');
      await f.store.mkdir(f.alice, '/a/b');
      await f.store.commitFile(f.alice, { path: '/a/b/c', ...(await seedContent(f.store, 'c')), mtime: 1 });
      const folder = await f.store.move(f.alice, '/a', '/z');
      const start = (await f.store.changes(f.alice, 0, 100)).cursor;
      expect(start).toBe(4);
      expect((await f.store.changes(f.alice, 3, 100)).changes).toEqual([{ seq: 4, op: 'move', path: '/z', fromPath: '/a', entry: folder }]);
      await f.store.delete(f.alice, '/z');
      const [item] = await f.store.listTrash(f.alice);
      await f.store.restore(f.alice, item!.trashId);
      const after = (await f.store.changes(f.alice, start, 100)).changes;
      expect(after.map((c) => [c.op, c.path])).toEqual([['delete', '/z'], ['create', '/z'], ['create', '/z/b'], ['create', '/z/b/c']]);
      expect(after[1]!.entry.id).toBe(folder.id);
    });

    test('a cursor below pruned changes has expired; later cursors still work', async () => {
      await f.store.mkdir(f.alice, '/old');
      await f.store.mkdir(f.bob, '/bobs');
      f.clock.now += 60_000;
      await f.store.mkdir(f.alice, '/new');
      expect(await f.store.pruneChanges(f.clock.now)).toBe(2);
      const expired = await f.store.changes(f.alice, 0, 10).catch((e: unknown) => e);
      expect(isApiError(expired) && expired.code).toBe('cursor_expired');
      expect((await f.store.changes(f.alice, 1, 10)).changes.map((c) => c.path)).toEqual(['/new']);
      expect((await f.store.changes(f.bob, 1, 10)).changes).toEqual([]);
      expect(await f.store.pruneChanges(f.clock.now)).toBe(0);
    });

    test('waitForChange wakes on a commit of its user, and otherwise times out or aborts', async () => {
      let woke = false;
      const waiting = f.store.waitForChange(f.alice, 0, 60_000).then(() => { woke = true; });
      await f.store.mkdir(f.bob, '/not-alices');
      await new Promise((resolve) => setImmediate(resolve));
      expect(woke).toBe(false);
      await f.store.mkdir(f.alice, '/d');
      await waiting;
      expect(woke).toBe(true);

      // Already past the cursor: no waiting at all.
      await f.store.waitForChange(f.alice, 0, 60_000);
      // Nothing new: the timeout ends the wait.
      await f.store.waitForChange(f.alice, 1, 10);
      const controller = new AbortController();
      const aborted = f.store.waitForChange(f.alice, 1, 60_000, controller.signal);
      controller.abort();
      await aborted;
    });
  });
});
