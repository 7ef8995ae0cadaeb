import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changesResponse, type Change } from '../../protocol/api.js';
import type { EngineEvent } from '../../protocol/engine.js';
import {
  FOLDER, eventually, localTree, openDevices, remoteTree, sha256, syncInOrder, useSyncService, type Device, type DeviceWorld,
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

async function write(device: Device, path: string, content: string): Promise<void> {
  await mkdir(join(device.folder, path, '..'), { recursive: true });
  await writeFile(device.path(path), content);
}

/** Every change the service recorded for the account: none may be a deletion. */
async function serviceChanges(): Promise<Change[]> {
  const response = await fetch(`${service.server.api}/changes?cursor=0&limit=5000`, { headers: world!.user.auth });
  return changesResponse.parse(await response.json()).changes;
}

async function serviceTrash(): Promise<unknown[]> {
  const response = await fetch(`${service.server.api}/trash`, { headers: world!.user.auth });
  return ((await response.json()) as { items: unknown[] }).items;
}

async function expectNothingDeletedRemotely(): Promise<void> {
  expect((await serviceChanges()).filter((change) => change.op === 'delete')).toEqual([]);
  expect(await serviceTrash()).toEqual([]);
}

/** The names in the local (freedesktop) trash the suite points XDG_DATA_HOME at. */
async function localTrash(): Promise<string[]> {
  const files = join(process.env.XDG_DATA_HOME!, 'Trash', 'files');
  return existsSync(files) ? readdir(files) : [];
}

/** A and B share /photos (two files) and /docs (one). */
async function sharedFolders(): Promise<[Device, Device]> {
  const [a, b] = await pair();
  await write(a, 'photos/one.jpg', 'one');
  await write(a, 'photos/trip/two.jpg', 'two');
  await write(a, 'docs/readme.md', 'read me');
  await syncInOrder(a, b, a);
  return [a, b];
}

describe('selective sync: excluding a folder', () => {
  it('uploads a local edit and a new file inside first, then moves the local copy to the trash; the service keeps everything', async () => {
    const [a, b] = await sharedFolders();
    const trashBefore = await localTrash();
    await write(a, 'photos/one.jpg', 'one, edited here');
    await write(a, 'photos/new.jpg', 'new here');
    a.client.engine.folders.exclude('/photos');
    expect(a.client.engine.folders.list().folders.find((f) => f.path === '/photos')?.state).toBe('excluding');

    await syncInOrder(a);
    expect(existsSync(a.path('photos'))).toBe(false);
    expect(await localTree(a.folder)).toEqual({ '/docs': FOLDER, '/docs/readme.md': sha256('read me') });
    expect(await remoteTree(a)).toEqual({
      '/docs': FOLDER, '/docs/readme.md': sha256('read me'),
      '/photos': FOLDER, '/photos/new.jpg': sha256('new here'), '/photos/one.jpg': sha256('one, edited here'),
      '/photos/trip': FOLDER, '/photos/trip/two.jpg': sha256('two'),
    });
    const trashed = (await localTrash()).filter((name) => !trashBefore.includes(name));
    expect(trashed).toEqual(['photos']);
    expect(a.client.engine.folders.list().folders.find((f) => f.path === '/photos')?.state).toBe('excluded');
    // The other device still has all of it, with A's edits.
    await syncInOrder(b);
    expect((await localTree(b.folder))['/photos/one.jpg']).toBe(sha256('one, edited here'));
    await expectNothingDeletedRemotely();
    // Later rounds change nothing: the local absence is not a deletion.
    await syncInOrder(a, a);
    await expectNothingDeletedRemotely();
  });

  it('keeps a local edit that lost to a remote one as a conflicted copy, uploaded before the local copy goes', async () => {
    const [a, b] = await sharedFolders();
    await write(b, 'photos/one.jpg', 'one, edited on B');
    await syncInOrder(b);
    await write(a, 'photos/one.jpg', 'one, edited on A');
    a.client.engine.folders.exclude('/photos');
    await syncInOrder(a);

    expect(existsSync(a.path('photos'))).toBe(false);
    const remote = await remoteTree(a);
    expect(remote['/photos/one.jpg']).toBe(sha256('one, edited on B'));
    const copies = Object.keys(remote).filter((path) => path.startsWith('/photos/one (conflicted copy host-a '));
    expect(copies).toHaveLength(1);
    expect(remote[copies[0]!]).toBe(sha256('one, edited on A'));
    await expectNothingDeletedRemotely();
  });

  it('does not download what changes inside while it is excluded, nor send local deletions made meanwhile', async () => {
    const [a, b] = await sharedFolders();
    await write(b, 'photos/one.jpg', 'one, edited on B before A lets go');
    await syncInOrder(b);
    await rm(a.path('photos/trip/two.jpg'));
    a.client.engine.folders.exclude('/photos');
    await syncInOrder(a);
    expect((await remoteTree(a))['/photos/trip/two.jpg']).toBe(sha256('two'));
    await write(b, 'photos/later.jpg', 'later');
    await syncInOrder(b, a);
    expect(existsSync(a.path('photos'))).toBe(false);
    expect((await remoteTree(a))['/photos/later.jpg']).toBe(sha256('later'));
    await expectNothingDeletedRemotely();
  });

  it('folds an excluded subfolder into its excluded parent, and a folder that is not on the service is refused', async () => {
    const [a] = await sharedFolders();
    const { folders } = a.client.engine;
    folders.exclude('/photos/trip');
    expect(folders.list().folders.find((f) => f.path === '/photos')?.state).toBe('partial');
    expect(folders.list('/photos').folders).toEqual([
      { path: '/photos/trip', name: 'trip', size: 3, files: 1, hasFolders: false, state: 'excluding' },
    ]);
    folders.exclude('/photos');
    expect(a.client.state.folderRules.rules()).toEqual([{ path: '/photos', state: 'leaving' }]);
    expect(() => folders.exclude('/nowhere')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => folders.exclude('/docs/readme.md')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => folders.exclude('/../etc')).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});

describe('selective sync: including a folder', () => {
  it('downloads it again, with transfer events, and lists sizes and states', async () => {
    const [a] = await sharedFolders();
    a.client.engine.folders.exclude('/photos');
    await syncInOrder(a);
    expect(a.client.engine.folders.list()).toEqual({
      path: '/',
      syncNewFolders: true,
      folders: [
        { path: '/docs', name: 'docs', size: 7, files: 1, hasFolders: false, state: 'kept' },
        { path: '/photos', name: 'photos', size: 6, files: 2, hasFolders: true, state: 'excluded' },
      ],
    });

    const events: EngineEvent[] = [];
    const off = a.client.engine.on((event) => events.push(event));
    a.client.engine.folders.include('/photos');
    await syncInOrder(a);
    off();
    expect(await localTree(a.folder)).toEqual({
      '/docs': FOLDER, '/docs/readme.md': sha256('read me'),
      '/photos': FOLDER, '/photos/one.jpg': sha256('one'), '/photos/trip': FOLDER, '/photos/trip/two.jpg': sha256('two'),
    });
    const downloads = events.flatMap((e) => (e.type === 'transfer' && e.transfer.direction === 'download' && e.transfer.state === 'done' ? [e.transfer.path] : []));
    expect(new Set(downloads)).toEqual(new Set(['/photos/one.jpg', '/photos/trip/two.jpg']));
    expect(a.client.engine.folders.list().folders.every((f) => f.state === 'kept')).toBe(true);
    await expectNothingDeletedRemotely();
  });

  it('brings back one subfolder of an excluded folder: the parent is kept, its other subfolders stay excluded', async () => {
    const [a] = await sharedFolders();
    await write(a, 'photos/work/w.jpg', 'w');
    await syncInOrder(a);
    a.client.engine.folders.exclude('/photos');
    await syncInOrder(a);
    a.client.engine.folders.include('/photos/trip');
    await syncInOrder(a);
    const local = await localTree(a.folder);
    expect(local['/photos/trip/two.jpg']).toBe(sha256('two'));
    expect(local['/photos/one.jpg']).toBe(sha256('one'));
    expect(local['/photos/work']).toBeUndefined();
    expect(a.client.engine.folders.list('/photos').folders.map((f) => [f.path, f.state])).toEqual([
      ['/photos/trip', 'kept'], ['/photos/work', 'excluded'],
    ]);
    await expectNothingDeletedRemotely();
  });
});

describe('selective sync: new top-level folders', () => {
  it('follows "sync new folders" both ways, and the setting persists', async () => {
    const [a, b] = await sharedFolders();
    a.client.engine.folders.setSyncNewFolders(false);
    await write(b, 'music/song.mp3', 'la la');
    await write(b, 'docs/more.md', 'more');
    await syncInOrder(b, a);
    expect(existsSync(a.path('music'))).toBe(false);
    // Inside a folder this computer keeps, new folders and files come as always.
    expect(existsSync(a.path('docs/more.md'))).toBe(true);
    expect(a.client.engine.folders.list().folders.find((f) => f.path === '/music')?.state).toBe('excluded');

    await a.restart();
    expect(a.client.engine.folders.syncNewFolders()).toBe(false);
    a.client.engine.folders.setSyncNewFolders(true);
    await write(b, 'videos/clip.mp4', 'clip');
    await syncInOrder(b, a);
    expect(await readFile(a.path('videos/clip.mp4'), 'utf8')).toBe('clip');
    expect(existsSync(a.path('music'))).toBe(false);
    // Including the set-aside folder brings it, even though it is "new".
    a.client.engine.folders.setSyncNewFolders(false);
    a.client.engine.folders.include('/music');
    await syncInOrder(a);
    expect(await readFile(a.path('music/song.mp3'), 'utf8')).toBe('la la');
    await expectNothingDeletedRemotely();
  });
});

describe('selective sync: a local folder with the name of an excluded one', () => {
  it('is a conflict: the local folder is renamed to a conflicted copy and uploaded, never merged into the service\'s folder', async () => {
    const [a] = await sharedFolders();
    a.client.engine.folders.exclude('/photos');
    await syncInOrder(a);
    await write(a, 'photos/mine.jpg', 'mine');
    await syncInOrder(a);

    const local = await localTree(a.folder);
    const copy = Object.keys(local).find((path) => /^\/photos \(conflicted copy host-a [^/]+\)$/.test(path));
    expect(copy).toBeDefined();
    expect(local[`${copy}/mine.jpg`]).toBe(sha256('mine'));
    expect(local['/photos']).toBeUndefined();
    const remote = await remoteTree(a);
    expect(remote['/photos/mine.jpg']).toBeUndefined();
    expect(remote['/photos/one.jpg']).toBe(sha256('one'));
    expect(remote[`${copy}/mine.jpg`]).toBe(sha256('mine'));
    await expectNothingDeletedRemotely();
  });

  it('a kept folder renamed locally to an excluded folder\'s name is renamed on to a conflicted copy and moved on the service, not deleted', async () => {
    const [a] = await sharedFolders();
    a.client.engine.folders.exclude('/photos');
    await syncInOrder(a);
    await rename(a.path('docs'), a.path('photos'));
    await syncInOrder(a);

    const remote = await remoteTree(a);
    const copy = Object.keys(remote).find((path) => /^\/photos \(conflicted copy host-a [^/]+\)$/.test(path));
    expect(copy).toBeDefined();
    expect(remote[`${copy}/readme.md`]).toBe(sha256('read me'));
    expect(remote['/docs']).toBeUndefined();
    expect(remote['/photos/one.jpg']).toBe(sha256('one'));
    expect(remote['/photos/readme.md']).toBeUndefined();
    expect(await localTree(a.folder)).toEqual({ [copy!]: FOLDER, [`${copy}/readme.md`]: sha256('read me') });
    await expectNothingDeletedRemotely();
  });
});

describe('selective sync: restarts and incremental rounds', () => {
  it('an exclusion started before a restart finishes after it, and stays', async () => {
    const [a] = await sharedFolders();
    await write(a, 'photos/edited-before-restart.jpg', 'x');
    a.client.engine.folders.exclude('/photos');
    await a.restart();
    expect(a.client.engine.folders.list().folders.find((f) => f.path === '/photos')?.state).toBe('excluding');
    await syncInOrder(a);
    expect(existsSync(a.path('photos'))).toBe(false);
    expect((await remoteTree(a))['/photos/edited-before-restart.jpg']).toBe(sha256('x'));
    await a.restart();
    await syncInOrder(a);
    expect(existsSync(a.path('photos'))).toBe(false);
    expect(a.client.engine.folders.list().folders.find((f) => f.path === '/photos')?.state).toBe('excluded');
    await expectNothingDeletedRemotely();
  });

  it('a watching engine acts on exclude and include with incremental rounds', async () => {
    world = await openDevices(service.server, ['host-a', 'host-b'], { watch: { debounceMs: 50, stabilityMs: 50, pollWaitSeconds: 1, fullScanIntervalMs: 0 } });
    const [a, b] = world.devices as [Device, Device];
    await write(a, 'photos/one.jpg', 'one');
    await write(a, 'docs/readme.md', 'read me');
    await syncInOrder(a, b);
    const running = a.client.engine.run();
    try {
      await eventually(async () => expect(a.client.engine.state).toBe('idle'), 20_000);
      await write(a, 'photos/edited.jpg', 'edited while watching');
      a.client.engine.folders.exclude('/photos');
      await eventually(async () => expect(existsSync(a.path('photos'))).toBe(false), 20_000);
      expect((await remoteTree(a))['/photos/edited.jpg']).toBe(sha256('edited while watching'));
      a.client.engine.folders.include('/photos');
      await eventually(async () => expect(existsSync(a.path('photos/edited.jpg'))).toBe(true), 20_000);
    } finally {
      await a.client.engine.stop();
      await running;
    }
    await expectNothingDeletedRemotely();
  });
});
