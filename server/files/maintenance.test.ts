import { afterEach, beforeEach, expect, test } from 'vitest';
import { loadConfig } from '../config.js';
import { isApiError } from '../errors.js';
import { openStoreFixture, seedContent, type StoreFixture } from '../../test/helpers/fileStoreFixture.js';
import { runFilesMaintenance } from './maintenance.js';

let f: StoreFixture;
beforeEach(async () => { f = await openStoreFixture(); });
afterEach(() => f.close());

test('maintenance purges trash and prunes changes past their retention, and keeps younger ones', async () => {
  const config = loadConfig([], {});
  config.trashRetentionSeconds = 60;
  config.changeRetentionSeconds = 120;
  const ctx = { config, now: () => f.clock.now };

  await f.store.commitFile(f.alice, { path: '/old', ...(await seedContent(f.store, 'old')), mtime: 1 });
  await f.store.delete(f.alice, '/old');
  f.clock.now += 90_000;
  await f.store.mkdir(f.alice, '/young');
  await f.store.delete(f.alice, '/young');
  expect(await runFilesMaintenance(f.store, ctx)).toEqual({ purged: 1, pruned: 0, versions: 0 });
  expect((await f.store.listTrash(f.alice)).map((i) => i.entry.path)).toEqual(['/young']);
  expect(await f.store.collectableContent(f.clock.now + 1)).toHaveLength(1);

  f.clock.now += 61_000;
  expect(await runFilesMaintenance(f.store, ctx)).toEqual({ purged: 1, pruned: 2, versions: 0 });
  const expired = await f.store.changes(f.alice, 0, 10).catch((e: unknown) => e);
  expect(isApiError(expired) && expired.code).toBe('cursor_expired');
  expect((await f.store.changes(f.alice, 2, 10)).changes.map((c) => [c.op, c.path])).toEqual([['create', '/young'], ['delete', '/young']]);
});
