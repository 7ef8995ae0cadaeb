import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { changesResponse, entryResponse, listResponse, trashListResponse, type Entry } from '../../protocol/api.js';
import { errorBodySchema } from '../../protocol/errors.js';
import { parentOf as parentOfPath } from '../../protocol/paths.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { seedContent } from '../../test/helpers/fileStoreFixture.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { openServerMetadata } from '../../test/helpers/serverDb.js';
import type { Metadata } from '../metadata.js';
import type { FileStore } from './fileStore.js';

let server: TestServer;
let alice: SignedUpUser;
let bob: SignedUpUser;
/**
 * A second handle on the service's metadata, for what HTTP cannot do here
 * (commit files, prune). On PostgreSQL it is a second node: its commits wake
 * the service's long-polls through NOTIFY.
 */
let sideMetadata: Metadata;
let side: FileStore;

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob] = await Promise.all([signUp(server.api), signUp(server.api)]);
  sideMetadata = await openServerMetadata(server);
  side = sideMetadata.files;
});
afterAll(async () => {
  await sideMetadata.close();
  await server.close();
});

interface Answer { status: number; body: unknown }

async function call(user: SignedUpUser | null, method: 'GET' | 'POST', route: string, body?: unknown, signal?: AbortSignal): Promise<Answer> {
  const response = await fetch(`${server.api}${route}`, {
    method,
    headers: { ...(user ? user.auth : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
  return { status: response.status, body: await response.json() };
}

const q = (path: string) => `path=${encodeURIComponent(path)}`;
const errorCode = (answer: Answer) => errorBodySchema.parse(answer.body).error.code;
const entryOf = (answer: Answer): Entry => entryResponse.parse(answer.body).entry;
const listing = async (user: SignedUpUser, path: string) => listResponse.parse((await call(user, 'GET', `/files?${q(path)}`)).body).entries;

async function commitAs(user: SignedUpUser, path: string, text: string): Promise<Entry> {
  return side.commitFile(user.user.id, { path, ...(await seedContent(side, text)), mtime: 7 });
}

describe('tree routes', () => {
  test('mkdir, list, meta, move, delete, trash and restore', async () => {
    expect(await listing(alice, '/')).toEqual([]);
    const docs = entryOf(await call(alice, 'POST', '/files/mkdir', { path: '/docs', mtime: 3 }));
    expect(docs).toMatchObject({ path: '/docs', kind: 'folder', mtime: 3 });
    await call(alice, 'POST', '/files/mkdir', { path: '/docs/sub' });
    const file = await commitAs(alice, '/docs/sub/n.txt', 'note');
    expect(entryOf(await call(alice, 'GET', `/files/meta?${q('/docs/sub/n.txt')}`))).toEqual(file);

    const moved = entryOf(await call(alice, 'POST', '/files/move', { from: '/docs', to: '/papers', ifRev: docs.rev }));
    expect(moved).toMatchObject({ id: docs.id, path: '/papers' });
    expect((await listing(alice, '/papers/sub')).map((e) => e.path)).toEqual(['/papers/sub/n.txt']);
    expect((await call(alice, 'GET', `/files/meta?${q('/docs')}`)).status).toBe(404);

    expect(entryOf(await call(alice, 'POST', '/files/delete', { path: '/papers' }))).toEqual(moved);
    expect(await listing(alice, '/')).toEqual([]);
    const trash = trashListResponse.parse((await call(alice, 'GET', '/trash')).body).items;
    expect(trash.map((i) => i.entry.path)).toEqual(['/papers']);
    expect(trashListResponse.parse((await call(bob, 'GET', '/trash')).body).items).toEqual([]);
    expect((await call(bob, 'POST', '/trash/restore', { trashId: trash[0]!.trashId })).status).toBe(404);
    const restored = entryOf(await call(alice, 'POST', '/trash/restore', { trashId: trash[0]!.trashId, to: '/back' }));
    expect(restored).toMatchObject({ id: docs.id, path: '/back' });
    expect(entryOf(await call(alice, 'GET', `/files/meta?${q('/back/sub/n.txt')}`))).toMatchObject({ id: file.id, contentHash: file.contentHash });
  });

  test('refusals carry their codes: not_found, not_a_folder, parent_not_found, case_conflict, already_exists', async () => {
    await call(alice, 'POST', '/files/mkdir', { path: '/r' });
    await commitAs(alice, '/r/f.txt', 'f');
    const missing = await call(alice, 'GET', `/files?${q('/r/none')}`);
    expect([missing.status, errorCode(missing)]).toEqual([404, 'not_found']);
    const file = await call(alice, 'GET', `/files?${q('/r/f.txt')}`);
    expect([file.status, errorCode(file)]).toEqual([409, 'not_a_folder']);
    const orphan = await call(alice, 'POST', '/files/mkdir', { path: '/r/none/x' });
    expect([orphan.status, errorCode(orphan)]).toEqual([409, 'parent_not_found']);
    const caseClash = await call(alice, 'POST', '/files/mkdir', { path: '/r/F.TXT' });
    expect([caseClash.status, errorCode(caseClash)]).toEqual([409, 'case_conflict']);
    const overFile = await call(alice, 'POST', '/files/mkdir', { path: '/r/f.txt' });
    expect([overFile.status, errorCode(overFile)]).toEqual([409, 'already_exists']);
    const again = await call(alice, 'POST', '/files/mkdir', { path: '/r' });
    expect(again.status).toBe(200);
    const intoItself = await call(alice, 'POST', '/files/move', { from: '/r', to: '/r/inner' });
    expect([intoItself.status, errorCode(intoItself)]).toEqual([400, 'invalid_path']);
    expect((await call(null, 'GET', `/files?${q('/')}`)).status).toBe(401);
  });

  test('a stale ifRev is 409 conflict with the current entry', async () => {
    const current = entryOf(await call(alice, 'POST', '/files/mkdir', { path: '/rev' }));
    for (const [route, body] of [['/files/move', { from: '/rev', to: '/rev2', ifRev: 'stale' }], ['/files/delete', { path: '/rev', ifRev: 'stale' }]] as const) {
      const answer = await call(alice, 'POST', route, body);
      expect(answer.status).toBe(409);
      const error = errorBodySchema.parse(answer.body).error;
      expect(error.code).toBe('conflict');
      expect(error.details).toEqual({ entry: current });
    }
    expect(entryOf(await call(alice, 'GET', `/files/meta?${q('/rev')}`))).toEqual(current);
  });

  test('hostile paths are 400 invalid_path on every route', async () => {
    const hostile = [
      'relative/path', '/a/../b', '/a/./b', '//a', '/a//b', '/a/', '/a\u0000b', '/a\u0001b', '/a\u007fb', '/a\u009bb',
      `/${'x'.repeat(256)}`, `/${'é'.repeat(128)}`, `/${`${'d'.repeat(200)}/`.repeat(21)}f`,
    ];
    for (const path of hostile) {
      const answers = await Promise.all([
        call(alice, 'GET', `/files?${q(path)}`),
        call(alice, 'GET', `/files/meta?${q(path)}`),
        call(alice, 'POST', '/files/mkdir', { path }),
        call(alice, 'POST', '/files/move', { from: '/anything', to: path }),
        call(alice, 'POST', '/files/move', { from: path, to: '/anything' }),
        call(alice, 'POST', '/files/delete', { path }),
        call(alice, 'POST', '/trash/restore', { trashId: 'x', to: path }),
      ]);
      for (const answer of answers) expect([path.slice(0, 30), answer.status, errorCode(answer)]).toEqual([path.slice(0, 30), 400, 'invalid_path']);
    }
  });

  test('a lone UTF-16 surrogate in a name is 400 invalid_path and creates nothing', async () => {
    const feed = changesResponse.parse((await call(alice, 'GET', '/changes?cursor=0')).body).cursor;
    for (const path of ['/lone\uD83D', '/lone\uDE00x']) {
      const answer = await call(alice, 'POST', '/files/mkdir', { path });
      expect([answer.status, errorCode(answer)]).toEqual([400, 'invalid_path']);
    }
    expect(changesResponse.parse((await call(alice, 'GET', `/changes?cursor=${feed}`)).body).changes).toEqual([]);
  });

  test('a move or restore that would push a descendant past the path limit is 400 and changes nothing', async () => {
    const grace = await signUp(server.api);
    // /deep/<15 names of 250 bytes>: the deepest path is 4 + 15 * 251 = 3769 bytes, under the 4096 limit.
    let path = '/deep';
    await call(grace, 'POST', '/files/mkdir', { path });
    for (let i = 0; i < 15; i++) {
      path += `/${String(i).padStart(3, '0')}${'n'.repeat(247)}`;
      expect((await call(grace, 'POST', '/files/mkdir', { path })).status).toBe(200);
    }
    const longName = `/${'m'.repeat(250)}/${'o'.repeat(200)}`;
    await call(grace, 'POST', '/files/mkdir', { path: parentOfPath(longName) });
    const cursor = changesResponse.parse((await call(grace, 'GET', '/changes?cursor=0')).body).cursor;
    // The target itself is short enough (456 bytes); its deepest descendant would be 4221 bytes.
    const move = await call(grace, 'POST', '/files/move', { from: '/deep', to: longName });
    expect([move.status, errorCode(move)]).toEqual([400, 'invalid_path']);
    expect(entryOf(await call(grace, 'GET', `/files/meta?${q(path)}`)).path).toBe(path);

    await call(grace, 'POST', '/files/delete', { path: '/deep' });
    const [item] = trashListResponse.parse((await call(grace, 'GET', '/trash')).body).items;
    const restore = await call(grace, 'POST', '/trash/restore', { trashId: item!.trashId, to: longName });
    expect([restore.status, errorCode(restore)]).toEqual([400, 'invalid_path']);
    expect(trashListResponse.parse((await call(grace, 'GET', '/trash')).body).items).toEqual([item]);
    const after = changesResponse.parse((await call(grace, 'GET', `/changes?cursor=${cursor}`)).body);
    expect(after.changes.map((c) => c.op)).toEqual(['delete']);
    // A target that keeps every path within the limit is still fine.
    expect(entryOf(await call(grace, 'POST', '/trash/restore', { trashId: item!.trashId, to: '/d2' })).path).toBe('/d2');
  });

  test("another user cannot list, read, move or delete someone's paths, and the tree stays as it was", async () => {
    await call(alice, 'POST', '/files/mkdir', { path: '/mine' });
    await commitAs(alice, '/mine/secret.txt', 'secret');
    const before = await listing(alice, '/mine');
    const attempts = await Promise.all([
      call(bob, 'GET', `/files?${q('/mine')}`),
      call(bob, 'GET', `/files/meta?${q('/mine/secret.txt')}`),
      call(bob, 'POST', '/files/move', { from: '/mine', to: '/stolen' }),
      call(bob, 'POST', '/files/delete', { path: '/mine/secret.txt' }),
    ]);
    expect(attempts.map((a) => [a.status, errorCode(a)])).toEqual(Array(4).fill([404, 'not_found']));
    expect(await listing(alice, '/mine')).toEqual(before);
    const bobsFeed = changesResponse.parse((await call(bob, 'GET', '/changes?cursor=0')).body);
    expect(bobsFeed.changes).toEqual([]);
  });
});

test('the OpenAPI document lists the file routes', async () => {
  const document = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  for (const [path, method] of [['/files', 'get'], ['/files/meta', 'get'], ['/files/mkdir', 'post'], ['/files/move', 'post'],
    ['/files/delete', 'post'], ['/trash', 'get'], ['/trash/restore', 'post'], ['/changes', 'get']] as const) {
    expect(document.paths[`/api/v1${path}`]?.[method], `${method} ${path}`).toBeDefined();
  }
});

describe('GET /changes', () => {
  test('the feed replays what happened, and a long poll wakes on a change', async () => {
    const carol = await signUp(server.api);
    await call(carol, 'POST', '/files/mkdir', { path: '/one' });
    const first = changesResponse.parse((await call(carol, 'GET', '/changes?cursor=0')).body);
    expect(first.changes.map((c) => [c.seq, c.op, c.path])).toEqual([[1, 'create', '/one']]);
    expect(first).toMatchObject({ cursor: 1, hasMore: false });

    const poll = call(carol, 'GET', '/changes?cursor=1&wait=60');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await call(carol, 'POST', '/files/move', { from: '/one', to: '/two' });
    const woken = changesResponse.parse((await poll).body);
    expect(woken.changes.map((c) => [c.op, c.path, c.fromPath])).toEqual([['move', '/two', '/one']]);
    expect(woken.cursor).toBe(2);
  });

  test('a long poll with nothing new answers empty when its wait is over', async () => {
    const dave = await signUp(server.api);
    const answer = changesResponse.parse((await call(dave, 'GET', '/changes?cursor=0&wait=1')).body);
    expect(answer).toEqual({ changes: [], cursor: 0, hasMore: false });
  });

  test('limit pages the feed', async () => {
    const erin = await signUp(server.api);
    for (const name of ['a', 'b', 'c']) await call(erin, 'POST', '/files/mkdir', { path: `/${name}` });
    const page = changesResponse.parse((await call(erin, 'GET', '/changes?cursor=0&limit=2')).body);
    expect(page.changes.map((c) => c.path)).toEqual(['/a', '/b']);
    expect(page).toMatchObject({ cursor: 2, hasMore: true });
  });

  test('a cursor older than the pruned changes is 410 cursor_expired', async () => {
    const frank = await signUp(server.api);
    await call(frank, 'POST', '/files/mkdir', { path: '/p' });
    await side.pruneChanges(Date.now() + 1);
    const answer = await call(frank, 'GET', '/changes?cursor=0');
    expect([answer.status, errorCode(answer)]).toEqual([410, 'cursor_expired']);
    expect(changesResponse.parse((await call(frank, 'GET', '/changes?cursor=1')).body).changes).toEqual([]);
  });

  test('/changes/latest gives the cursor to continue from after a full listing, per user', async () => {
    const heidi = await signUp(server.api);
    const ivan = await signUp(server.api);
    expect((await call(heidi, 'GET', '/changes/latest')).body).toEqual({ cursor: 0 });
    for (const name of ['a', 'b']) await call(heidi, 'POST', '/files/mkdir', { path: `/${name}` });
    expect((await call(heidi, 'GET', '/changes/latest')).body).toEqual({ cursor: 2 });
    expect((await call(ivan, 'GET', '/changes/latest')).body).toEqual({ cursor: 0 });
    expect((await call(null, 'GET', '/changes/latest')).status).toBe(401);
  });
});

test('closing the service ends pending long polls instead of waiting for them', async () => {
  const own = await startTestServer();
  try {
    const grace = await signUp(own.api);
    const poll = fetch(`${own.api}/changes?cursor=0&wait=300`, { headers: grace.auth }).then((r) => r.json(), () => 'cut');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await own.close();
    expect(await poll).toEqual({ changes: [], cursor: 0, hasMore: false });
  } finally {
    await own.close().catch(() => {});
  }
});
