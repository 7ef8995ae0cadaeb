import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changesResponse, type Change } from '../../protocol/api.js';
import type { EngineEvent } from '../../protocol/engine.js';
import { isSyncError } from '../../app/errors.js';
import {
  Device, FOLDER, eventually, useSyncService, localTree, normalized, openDevices, remoteTree, sha256, snapshots, syncInOrder,
  type DeviceWorld, type TreeSnapshot,
} from '../helpers/syncDevices.js';

const service = useSyncService();
let world: DeviceWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
});

async function pair(): Promise<[Device, Device]> {
  world = await openDevices(service.server, ['host-a', 'host-b']);
  return [world.devices[0]!, world.devices[1]!];
}

/** A, B, A: afterwards both folders and the service must hold the same tree with the same bytes. */
async function syncAndCompare(a: Device, b: Device): Promise<TreeSnapshot> {
  await syncInOrder(a, b, a);
  const { remote, local } = await snapshots([a, b]);
  expect(local[0]).toEqual(remote);
  expect(local[1]).toEqual(remote);
  return remote;
}

async function write(device: Device, path: string, content: string | Uint8Array): Promise<void> {
  await writeFile(device.path(path), content);
}

async function changesSince(cursor: number): Promise<Change[]> {
  const response = await fetch(`${service.server.api}/changes?cursor=${cursor}&limit=5000`, { headers: world!.user.auth });
  return changesResponse.parse(await response.json()).changes;
}

async function latestCursor(): Promise<number> {
  const response = await fetch(`${service.server.api}/changes/latest`, { headers: world!.user.auth });
  return ((await response.json()) as { cursor: number }).cursor;
}

describe('two devices converge', () => {
  it('creates, edits and deletes files, including empty ones', async () => {
    const [a, b] = await pair();
    await write(a, 'hello.txt', 'hello from A');
    await write(a, 'empty.txt', '');
    await write(b, 'from-b.md', '# B');
    await write(b, 'empty-b', '');
    let tree = await syncAndCompare(a, b);
    expect(tree).toEqual({
      '/empty-b': sha256(''), '/empty.txt': sha256(''), '/from-b.md': sha256('# B'), '/hello.txt': sha256('hello from A'),
    });

    await write(b, 'hello.txt', 'edited on B');
    await write(a, 'empty.txt', 'no longer empty');
    await write(a, 'from-b.md', '');
    await rm(b.path('empty-b'));
    tree = await syncAndCompare(a, b);
    expect(tree).toEqual({ '/empty.txt': sha256('no longer empty'), '/from-b.md': sha256(''), '/hello.txt': sha256('edited on B') });

    await rm(a.path('hello.txt'));
    await rm(b.path('empty.txt'));
    tree = await syncAndCompare(a, b);
    expect(tree).toEqual({ '/from-b.md': sha256('') });
  });

  it('creates, renames, moves (with content) and deletes folders', async () => {
    const [a, b] = await pair();
    await mkdir(a.path('docs/drafts'), { recursive: true });
    await write(a, 'docs/drafts/one.txt', 'one');
    await write(a, 'docs/readme', 'read me');
    await mkdir(a.path('empty-folder'));
    await mkdir(b.path('photos'));
    await write(b, 'photos/cat.jpg', 'meow');
    await syncAndCompare(a, b);

    await rename(b.path('docs'), b.path('documents'));
    await rename(a.path('photos'), a.path('empty-folder/photos'));
    let tree = await syncAndCompare(a, b);
    expect(tree).toEqual({
      '/documents': FOLDER, '/documents/drafts': FOLDER, '/documents/drafts/one.txt': sha256('one'), '/documents/readme': sha256('read me'),
      '/empty-folder': FOLDER, '/empty-folder/photos': FOLDER, '/empty-folder/photos/cat.jpg': sha256('meow'),
    });

    await rename(a.path('documents/drafts'), a.path('drafts'));
    await rm(b.path('empty-folder'), { recursive: true });
    tree = await syncAndCompare(a, b);
    expect(tree).toEqual({
      '/documents': FOLDER, '/documents/readme': sha256('read me'), '/drafts': FOLDER, '/drafts/one.txt': sha256('one'),
    });
  });

  it('syncs a 100 MB file byte for byte', async () => {
    const [a, b] = await pair();
    const big = randomBytes(100 * 1024 * 1024);
    await write(a, 'big.bin', big);
    const tree = await syncAndCompare(a, b);
    expect(tree['/big.bin']).toBe(sha256(big));
  }, 60_000);

  it('stores names NFC: an NFD name on A arrives as its NFC spelling on B, once; Chinese names sync', async () => {
    const [a, b] = await pair();
    const nfc = 'Café Åström.txt'.normalize('NFC');
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    await write(a, nfd, 'accents');
    await mkdir(a.path('文档'));
    await write(a, '文档/报告 2024.txt', '中文内容');
    await write(b, '你好.md', 'hello');
    const tree = await syncAndCompare(a, b);
    expect(tree).toEqual({
      [`/${nfc}`]: sha256('accents'), '/文档': FOLDER, '/文档/报告 2024.txt': sha256('中文内容'), '/你好.md': sha256('hello'),
    });
    expect(await readdir(b.folder)).toContain(nfc);
    expect(await readdir(b.folder)).not.toContain(nfd);
    // A keeps its own spelling and is not offered the NFC name as a second file.
    expect((await readdir(a.folder)).filter((name) => name.normalize('NFC') === nfc)).toEqual([nfd]);

    // An edit through the NFD spelling updates the one entry.
    await write(a, nfd, 'accents, edited');
    expect((await syncAndCompare(a, b))[`/${nfc}`]).toBe(sha256('accents, edited'));

    // Both made the same folder, NFD on disk; what A puts inside lands in B's folder, not in a new NFC twin.
    const folderNfd = 'Entwürfe'.normalize('NFD');
    await mkdir(a.path(folderNfd));
    await mkdir(b.path(folderNfd));
    await mkdir(a.path(`${folderNfd}/sub`));
    await write(a, `${folderNfd}/sub/x.txt`, 'inside');
    expect(await syncAndCompare(a, b)).toMatchObject({ [`/${folderNfd.normalize('NFC')}/sub/x.txt`]: sha256('inside') });
    expect((await readdir(b.folder)).filter((name) => name.startsWith('Entw'))).toEqual([folderNfd]);
  });

  it('replays a rename or move of a synced file or folder as a service move of the same entry, without uploading again', async () => {
    const [a, b] = await pair();
    await mkdir(a.path('src'));
    await write(a, 'src/main.ts', 'export {}');
    await write(a, 'notes.txt', 'notes');
    await syncAndCompare(a, b);
    const before = await latestCursor();
    const ids = new Map((await changesSince(0)).map((change) => [change.path, change.entry.id]));

    await rename(a.path('notes.txt'), a.path('src/notes-moved.txt'));
    await rename(a.path('src'), a.path('lib'));
    const tree = await syncAndCompare(a, b);
    expect(tree).toEqual({ '/lib': FOLDER, '/lib/main.ts': sha256('export {}'), '/lib/notes-moved.txt': sha256('notes') });

    const changes = await changesSince(before);
    expect(changes.every((change) => change.op === 'move')).toBe(true);
    const moves = changes.map((change) => ({ id: change.entry.id, from: change.fromPath, to: change.path }));
    expect(moves).toEqual(expect.arrayContaining([
      { id: ids.get('/notes.txt'), from: '/notes.txt', to: expect.stringMatching(/\/notes-moved\.txt$/) },
      { id: ids.get('/src'), from: '/src', to: '/lib' },
    ]));
    expect(moves).toHaveLength(2);
  });

  it('keeps both versions when A and B edit the same file: the first synced keeps the name, the other becomes a conflicted copy', async () => {
    const [a, b] = await pair();
    await write(a, 'plan.txt', 'base');
    await write(a, 'same.txt', 'base');
    await syncAndCompare(a, b);

    await write(a, 'plan.txt', 'version A');
    await write(b, 'plan.txt', 'version B, longer');
    await write(a, 'same.txt', 'identical edit');
    await write(b, 'same.txt', 'identical edit');
    const tree = await syncAndCompare(a, b);

    const copies = Object.keys(tree).filter((path) => path.includes('conflicted copy'));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^\/plan \(conflicted copy host-b \d{4}-\d\d-\d\d \d{6}\)\.txt$/);
    expect(tree['/plan.txt']).toBe(sha256('version A'));
    expect(tree[copies[0]!]).toBe(sha256('version B, longer'));
    expect(tree['/same.txt']).toBe(sha256('identical edit'));
    expect(Object.keys(tree)).toHaveLength(3);
  });

  it('an edit beats a delete, whichever side deletes', async () => {
    const [a, b] = await pair();
    await write(a, 'edited-on-a.txt', 'v1');
    await write(a, 'edited-on-b.txt', 'v1');
    await syncAndCompare(a, b);

    // The delete reaches the service first; the edit comes back.
    await write(a, 'edited-on-a.txt', 'v2 from A');
    await rm(b.path('edited-on-a.txt'));
    // The edit reaches the service first; the deleting side gets it back.
    await write(b, 'edited-on-b.txt', 'v2 from B');
    await rm(a.path('edited-on-b.txt'));
    await syncInOrder(b);
    const tree = await syncAndCompare(a, b);
    expect(tree).toEqual({ '/edited-on-a.txt': sha256('v2 from A'), '/edited-on-b.txt': sha256('v2 from B') });
  });

  it('keeps content added to a folder that the other side deletes or renames meanwhile', async () => {
    const [a, b] = await pair();
    await mkdir(a.path('gone/deep'), { recursive: true });
    await write(a, 'gone/deep/old.txt', 'old');
    await mkdir(a.path('renamed'));
    await write(a, 'renamed/old.txt', 'old too');
    await write(a, 'moved-and-edited.txt', 'v1');
    await syncAndCompare(a, b);

    await rm(a.path('gone'), { recursive: true });
    await write(b, 'gone/deep/new.txt', 'added on B');
    await rename(a.path('renamed'), a.path('renamed-on-a'));
    await write(b, 'renamed/new.txt', 'also added on B');
    await rename(a.path('moved-and-edited.txt'), a.path('renamed-on-a/moved.txt'));
    await write(b, 'moved-and-edited.txt', 'v2, edited on B');
    const tree = await syncAndCompare(a, b);

    const contents = new Set(Object.values(tree));
    for (const kept of ['added on B', 'also added on B', 'old too', 'v2, edited on B']) expect(contents).toContain(sha256(kept));
    expect(tree['/gone/deep/new.txt']).toBe(sha256('added on B'));
    expect(tree['/renamed-on-a/new.txt']).toBe(sha256('also added on B'));
    expect(tree['/renamed-on-a/old.txt']).toBe(sha256('old too'));
    expect(tree['/renamed']).toBeUndefined();
  });

  // The rule (docs/sync.md, planner planConcurrentMoves): the first rename to reach the service wins; the other device follows.
  it('two different renames of the same folder: the first to reach the service wins, the other device follows with what it added inside', async () => {
    const [a, b] = await pair();
    await mkdir(a.path('project'));
    await write(a, 'project/main.c', 'int main;');
    await syncAndCompare(a, b);

    await rename(a.path('project'), a.path('project-a'));
    await rename(b.path('project'), b.path('project-b'));
    await write(b, 'project-b/added-on-b.c', 'int added;');
    await write(a, 'project-a/added-on-a.c', 'int also;');
    const tree = await syncAndCompare(a, b);
    expect(tree).toEqual({
      '/project-a': FOLDER,
      '/project-a/added-on-a.c': sha256('int also;'),
      '/project-a/added-on-b.c': sha256('int added;'),
      '/project-a/main.c': sha256('int main;'),
    });
    // B's folder was moved, not copied: main.c is the same file it had (no download).
    expect(b.client.engine.recentActivity().filter((activity) => activity.path === '/project-a/main.c')).toEqual([]);
  });

  it('two devices racing their renames of one folder at the service end with one name and all content', async () => {
    const [a, b] = await pair();
    await mkdir(a.path('shared'));
    await write(a, 'shared/notes.txt', 'notes');
    await syncAndCompare(a, b);

    await rename(a.path('shared'), a.path('shared-a'));
    await rename(b.path('shared'), b.path('shared-b'));
    // Both plan a service move from the same rev: one wins, the other's is refused (409) and its next round follows.
    await Promise.all([a.sync(), b.sync()]);
    const tree = await syncAndCompare(a, b);
    const folders = Object.keys(tree).filter((path) => tree[path] === FOLDER);
    expect(folders).toHaveLength(1);
    expect(['/shared-a', '/shared-b']).toContain(folders[0]);
    expect(tree[`${folders[0]}/notes.txt`]).toBe(sha256('notes'));
  });

  it('handles kind changes, case-only renames and conflicting edits of files sent in chunks', async () => {
    const [a, b] = await pair();
    const big = (seed: string) => Buffer.alloc(3 * 1024 * 1024, seed);
    await write(a, 'becomes-folder', 'a file first');
    await mkdir(a.path('becomes-file'));
    await write(a, 'becomes-file/inner.txt', 'inner');
    await write(a, 'readme.md', 'case');
    await write(a, 'large.bin', big('0'));
    await syncAndCompare(a, b);

    await rm(a.path('becomes-folder'));
    await mkdir(a.path('becomes-folder'));
    await write(a, 'becomes-folder/child.txt', 'child');
    await rm(b.path('becomes-file'), { recursive: true });
    await write(b, 'becomes-file', 'now a file');
    await rename(b.path('readme.md'), b.path('README.md'));
    await write(a, 'large.bin', big('a'));
    await write(b, 'large.bin', big('b'));
    const tree = await syncAndCompare(a, b);
    expect(tree).toMatchObject({
      '/becomes-folder': FOLDER, '/becomes-folder/child.txt': sha256('child'), '/becomes-file': sha256('now a file'),
      '/README.md': sha256('case'), '/large.bin': sha256(big('a')),
    });
    expect(tree['/readme.md']).toBeUndefined();
    const copies = Object.keys(tree).filter((path) => path.includes('conflicted copy'));
    expect(copies.map((path) => tree[path])).toEqual([sha256(big('b'))]);
  });

  it('reports small uploads active batch by batch, not a whole round of them before the first answer', async () => {
    world = await openDevices(service.server, ['host-a']);
    const a = world.devices[0]!;
    for (let i = 0; i < 2_100; i++) await write(a, `f${i}.txt`, `small ${i}`);
    const events: EngineEvent[] = [];
    a.client.engine.on((event) => events.push(event));
    await a.sync();
    const transfers = events.flatMap((event) => (event.type === 'transfer' ? [event.transfer] : []));
    const firstDone = transfers.findIndex((transfer) => transfer.state === 'done');
    expect(firstDone).toBeGreaterThan(0);
    // Two batch requests (of at most 1,000 files) are in flight at once: no more files are active before an answer.
    const activeBefore = transfers.slice(0, firstDone).filter((transfer) => transfer.state === 'active').length;
    expect(activeBefore).toBeGreaterThan(0);
    expect(activeBefore).toBeLessThanOrEqual(2_000);
    expect(new Set(transfers.filter((t) => t.state === 'done').map((t) => t.path)).size).toBe(2_100);
  }, 120_000);

  it('holds a mass delete until it is confirmed', async () => {
    const [a, b] = await pair();
    await mkdir(a.path('many'));
    for (let i = 0; i < 60; i++) await write(a, `many/file-${i}.txt`, `content ${i}`);
    await write(a, 'keep.txt', 'keep');
    const full = await syncAndCompare(a, b);

    const events: EngineEvent[] = [];
    a.client.engine.on((event) => events.push(event));
    await rm(a.path('many'), { recursive: true });
    const held = await a.sync();
    expect(held.heldDeletes).toBeGreaterThan(50);
    expect(events.some((event) => event.type === 'massDelete')).toBe(true);
    expect(await remoteTree(a)).toEqual(full);

    a.client.engine.confirmMassDelete();
    const confirmed = await a.sync();
    expect(confirmed.heldDeletes).toBe(0);
    expect(await remoteTree(a)).toEqual({ '/keep.txt': sha256('keep') });

    // B is asked too before it deletes that many local files.
    expect((await b.sync()).heldDeletes).toBeGreaterThan(50);
    expect(Object.keys(await localTree(b.folder))).toHaveLength(62);
    b.client.engine.confirmMassDelete();
    await syncAndCompare(a, b);
  });

  /** One device whose synced folder holds `folders`, each with 60 files, and keep.txt; returns it and the service's tree. */
  async function syncedFolders(folders: readonly string[]): Promise<{ a: Device; full: TreeSnapshot }> {
    world = await openDevices(service.server, ['host-a']);
    const a = world.devices[0]!;
    for (const folder of folders) {
      await mkdir(a.path(folder));
      for (let i = 0; i < 60; i++) await write(a, `${folder}/file-${i}.txt`, `${folder} ${i}`);
    }
    await write(a, 'keep.txt', 'keep');
    await a.sync();
    return { a, full: await remoteTree(a) };
  }

  it('asks again for a later mass delete when the one confirmed was undone before a sync carried it out', async () => {
    const { a, full } = await syncedFolders(['many']);
    const outside = await mkdtemp(join(tmpdir(), 'netdisk-put-away-'));
    await rename(a.path('many'), join(outside, 'many'));
    expect((await a.sync()).heldDeletes).toBeGreaterThan(50);

    // The user puts the folder back, then confirms the hold still on screen: there is nothing left to delete.
    await rename(join(outside, 'many'), a.path('many'));
    await rm(outside, { recursive: true });
    a.client.engine.confirmMassDelete();
    expect(await a.sync()).toMatchObject({ converged: true, heldDeletes: 0 });
    expect(await remoteTree(a)).toEqual(full);

    // Much later the folder goes again: a new mass delete, which nobody confirmed.
    await rm(a.path('many'), { recursive: true });
    expect((await a.sync()).heldDeletes).toBeGreaterThan(50);
    expect(await remoteTree(a)).toEqual(full);
  });

  it('lets through the deletions the user confirmed, and holds a mass delete made since', async () => {
    const { a, full } = await syncedFolders(['many', 'more']);
    const events: EngineEvent[] = [];
    a.client.engine.on((event) => events.push(event));
    await rm(a.path('many'), { recursive: true });
    expect((await a.sync()).heldDeletes).toBe(61);

    await rm(a.path('more'), { recursive: true });
    a.client.engine.confirmMassDelete();
    const summary = await a.sync();
    expect(summary.heldDeletes).toBe(61);
    const remote = await remoteTree(a);
    expect(Object.keys(remote).filter((path) => path.startsWith('/many'))).toEqual([]);
    expect(Object.entries(remote).filter(([path]) => path.startsWith('/more'))).toEqual(Object.entries(full).filter(([path]) => path.startsWith('/more')));
    expect(events.filter((event) => event.type === 'massDelete').at(-1)).toMatchObject({ count: 61, side: 'remote' });
  });

  it('refuses to sync an emptied or vanished root instead of deleting everything on the service', async () => {
    const [a, b] = await pair();
    await mkdir(a.path('folder'));
    await write(a, 'folder/x.txt', 'x');
    await write(a, 'y.txt', 'y');
    const full = await syncAndCompare(a, b);

    for (const name of await readdir(a.folder)) await rm(a.path(name), { recursive: true });
    await expect(a.sync()).rejects.toSatisfy((error) => isSyncError(error) && error.code === 'sync_root_missing');
    expect(await remoteTree(a)).toEqual(full);

    await rm(a.folder, { recursive: true });
    await expect(a.sync()).rejects.toSatisfy((error) => isSyncError(error) && error.code === 'sync_root_missing');
    expect(await remoteTree(a)).toEqual(full);
    await syncInOrder(b);
    expect(normalized(await localTree(b.folder))).toEqual(full);
    await mkdir(a.folder);
  });

  it('signing in with a non-empty folder merges both sides and deletes nothing', async () => {
    world = await openDevices(service.server, ['host-a']);
    const a = world.devices[0]!;
    await mkdir(a.path('shared'));
    await write(a, 'shared/same.txt', 'same on both');
    await write(a, 'shared/differs.txt', 'service version');
    await write(a, 'only-remote.txt', 'remote');
    await syncInOrder(a);

    // A second machine whose folder already holds files signs in for the first time.
    const root = await mkdtemp(join(tmpdir(), 'netdisk-sync-e2e-merge-'));
    try {
      const folder = join(root, 'folder');
      await mkdir(join(folder, 'shared'), { recursive: true });
      await writeFile(join(folder, 'shared/same.txt'), 'same on both');
      await writeFile(join(folder, 'shared/differs.txt'), 'local version');
      await writeFile(join(folder, 'only-local.txt'), 'local');
      const b = await addDevice(world, 'host-b', folder, join(root, 'state'));
      const tree = await syncAndCompare(a, b);
      const copies = Object.keys(tree).filter((path) => path.includes('conflicted copy'));
      expect(copies).toHaveLength(1);
      expect(tree[copies[0]!]).toBe(sha256('local version'));
      expect(tree).toMatchObject({
        '/only-local.txt': sha256('local'), '/only-remote.txt': sha256('remote'),
        '/shared/same.txt': sha256('same on both'), '/shared/differs.txt': sha256('service version'),
      });
      expect(Object.keys(tree)).toHaveLength(6);
    } finally {
      await world.close();
      world = null;
      await rm(root, { recursive: true, force: true });
    }
  });

  it('in watch mode, a file written on A appears on B without a manual sync', async () => {
    world = await openDevices(service.server, ['host-a', 'host-b'], { watch: { debounceMs: 50, stabilityMs: 100, pollWaitSeconds: 5 } });
    const [a, b] = [world.devices[0]!, world.devices[1]!];
    const runs = [a.client.engine.run(), b.client.engine.run()];
    try {
      await write(a, 'live.txt', 'written while watching');
      await mkdir(b.path('from-b'));
      await write(b, 'from-b/also.txt', 'and back');
      const expected = { '/from-b': FOLDER, '/from-b/also.txt': sha256('and back'), '/live.txt': sha256('written while watching') };
      await eventually(async () => {
        expect(normalized(await localTree(b.folder))).toEqual(expected);
        expect(normalized(await localTree(a.folder))).toEqual(expected);
      }, 30_000);
    } finally {
      await a.client.engine.stop();
      await b.client.engine.stop();
      await Promise.all(runs);
    }
    expect(await remoteTree(a)).toEqual(normalized(await localTree(a.folder)));
  }, 45_000);

  it('does not upload ignored files and reports a symlink without following it', async () => {
    const [a, b] = await pair();
    await write(a, '.netdiskignore', 'build/\n*.log\n');
    await mkdir(a.path('build'));
    await write(a, 'build/out.js', 'compiled');
    await write(a, 'debug.log', 'noise');
    await write(a, 'notes.txt.swp', 'vim');
    await write(a, '.DS_Store', 'mac');
    await write(a, 'kept.txt', 'kept');
    const outside = await mkdtemp(join(tmpdir(), 'netdisk-sync-e2e-outside-'));
    try {
      await writeFile(join(outside, 'secret.txt'), 'must not be uploaded');
      await symlink(outside, a.path('link-to-outside'));
      const issues: string[] = [];
      a.client.engine.on((event) => { if (event.type === 'issue') issues.push(`${event.issue.code}:${event.issue.path ?? ''}`); });
      await syncInOrder(a, b, a);
      const expected = { '/.netdiskignore': sha256('build/\n*.log\n'), '/kept.txt': sha256('kept') };
      expect(await remoteTree(a)).toEqual(expected);
      expect(normalized(await localTree(b.folder))).toEqual(expected);
      expect(issues).toContain('symlink:/link-to-outside');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

async function addDevice(target: DeviceWorld, name: string, folder: string, stateDir: string): Promise<Device> {
  const device = new Device(name, folder, stateDir, service.server, target.user.user.username, {});
  await device.open();
  target.devices.push(device);
  return device;
}
