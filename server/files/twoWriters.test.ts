import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Change, Entry } from '../../protocol/api.js';
import { dumpTree, openStoreFixture, replayChanges, seedContent, type StoreFixture } from '../../test/helpers/fileStoreFixture.js';
import { testDatabase } from '../../test/helpers/testDatabase.js';
import { isApiError } from '../errors.js';
import type { FileStore } from './fileStore.js';

/**
 * Two nodes writing one user's tree at once, each through its own batcher
 * and connections, on one PostgreSQL database (PgCommitBatcher's per-user
 * lock). SQLite has one writing process by design: nothing to race there.
 */
describe.skipIf(testDatabase !== 'postgres')('two nodes committing to one tree', () => {
  let f: StoreFixture;
  let a: FileStore;
  let b: FileStore;
  let closeB: () => Promise<void>;

  beforeEach(async () => {
    f = await openStoreFixture();
    a = f.store;
    ({ store: b, close: closeB } = await f.secondNode());
  });
  afterEach(async () => {
    await closeB();
    await f.close();
  });

  async function feed(store: FileStore, userId: string): Promise<Change[]> {
    const page = await store.changes(userId, 0, 100_000);
    expect(page.hasMore).toBe(false);
    return page.changes;
  }

  test('interleaved commits from both nodes make one gap-free, ordered feed that replays to the tree', async () => {
    await a.mkdir(f.alice, '/a');
    await b.mkdir(f.alice, '/b');
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const [node, folder] = i % 2 === 0 ? [a, '/a'] : [b, '/b'];
      writes.push((async () => node.commitFile(f.alice, { path: `${folder}/f${i}`, ...(await seedContent(node, `content ${i}`)), mtime: i }))());
      if (i % 10 === 9) writes.push(node.mkdir(f.alice, `${folder}/d${i}`));
    }
    await Promise.all(writes);
    await Promise.all([a.move(f.alice, '/a', '/moved-a'), b.delete(f.alice, '/b/f1')]);
    const changes = await feed(b, f.alice);
    expect(changes.map((c) => c.seq)).toEqual(changes.map((_, i) => i + 1));
    const tree = await dumpTree(a, f.alice);
    expect(replayChanges(changes)).toEqual(tree);
    // Every entry's rev is the change number that last wrote it: one sequence for both nodes.
    for (const entry of tree.values()) expect(changes.some((c) => String(c.seq) === entry.rev && c.entry.id === entry.id)).toBe(true);
    expect(await a.latestCursor(f.alice)).toBe(changes.length);
    // Bob's feed is his own, untouched by the race.
    expect(await feed(a, f.bob)).toEqual([]);
  });

  test('the same ifRev precondition sent to both nodes at once holds for exactly one', async () => {
    const base = await a.commitFile(f.alice, { path: '/doc', ...(await seedContent(a, 'v0')), mtime: 0 });
    for (let round = 0; round < 5; round++) {
      const current = (await a.getEntry(f.alice, '/doc'))!;
      const attempt = async (node: FileStore, text: string): Promise<Entry | string> => {
        try {
          return await node.commitFile(f.alice, { path: '/doc', ...(await seedContent(node, text)), mtime: round, ifRev: current.rev });
        } catch (error) {
          if (isApiError(error)) return error.code;
          throw error;
        }
      };
      const outcomes = await Promise.all([attempt(a, `a${round}`), attempt(b, `b${round}`)]);
      expect(outcomes.filter((o) => o === 'conflict')).toHaveLength(1);
      expect(outcomes.filter((o) => typeof o !== 'string')).toHaveLength(1);
    }
    // One create and five updates: the losers left no trace.
    expect((await feed(a, f.alice)).map((c) => c.op)).toEqual(['create', 'update', 'update', 'update', 'update', 'update']);
    expect(base.rev).toBe('1');
  });

  test('a long-poll on one node wakes when the other node commits', async () => {
    const cursor = await a.latestCursor(f.alice);
    let woken = false;
    const stop = new AbortController();
    // Far longer than the test may run: only a wake-up ends it in time.
    const waiting = a.waitForChange(f.alice, cursor, 600_000, stop.signal).then(() => { woken = true; });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(woken).toBe(false);
    await b.mkdir(f.alice, '/from-b');
    const late = setTimeout(() => stop.abort(), 15_000);
    await waiting;
    clearTimeout(late);
    expect(stop.signal.aborted).toBe(false);
    expect((await a.changes(f.alice, cursor, 10)).changes.map((c) => c.path)).toEqual(['/from-b']);
  });
});
