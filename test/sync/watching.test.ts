import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../protocol/engine.js';
import { isSyncError } from '../../app/errors.js';
import {
  FOLDER, eventually, localTree, normalized, openDevices, remoteTree, sha256, syncInOrder, useSyncService, type Device, type DeviceWorld,
} from '../helpers/syncDevices.js';

/**
 * Watch mode: rounds look only at the paths the watcher reported (see
 * app/engine/plan/roundPlanner.ts). What a full walk would find must still be
 * found, and the guards must still hold.
 */
const service = useSyncService();
let world: DeviceWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
});

const WATCH = { debounceMs: 50, stabilityMs: 100, pollWaitSeconds: 5 };

async function watching(device: Device, body: (events: EngineEvent[], run: Promise<void>) => Promise<void>): Promise<void> {
  const events: EngineEvent[] = [];
  const off = device.client.engine.on((event) => events.push(event));
  const run = device.client.engine.run();
  run.catch(() => {});
  try {
    // The first round (a full walk) is over: it went scanning, then idle.
    await eventually(async () => expect(events.some((event) => event.type === 'state' && event.state === 'idle')).toBe(true), 20_000);
    await body(events, run);
  } finally {
    off();
    await device.client.engine.stop();
    await run.catch(() => {});
  }
}

async function idOf(device: Device, folder: string, name: string): Promise<string | undefined> {
  return (await device.client.remote.list(folder)).nodes.find((node) => node.path.endsWith(`/${name}`))?.id;
}

describe('incremental rounds while watching', () => {
  it('an edit, a new folder and a rename into another folder reach the service; the rename as a move of the same entry', async () => {
    world = await openDevices(service.server, ['host-a'], { watch: WATCH });
    const a = world.devices[0]!;
    await mkdir(a.path('docs'));
    await mkdir(a.path('other'));
    for (let i = 0; i < 20; i++) await writeFile(a.path(`docs/f${i}.txt`), `file ${i}`);
    await syncInOrder(a);
    const movedId = await idOf(a, '/docs', 'f3.txt');
    expect(movedId).toBeDefined();

    await watching(a, async () => {
      await writeFile(a.path('docs/f1.txt'), 'edited while watching');
      await rename(a.path('docs/f3.txt'), a.path('other/renamed.txt'));
      await mkdir(a.path('fresh/inner'), { recursive: true });
      await writeFile(a.path('fresh/inner/new.txt'), 'new');
      await eventually(async () => {
        const remote = await remoteTree(a);
        expect(remote['/docs/f1.txt']).toBe(sha256('edited while watching'));
        expect(remote['/other/renamed.txt']).toBe(sha256('file 3'));
        expect(remote['/docs/f3.txt']).toBeUndefined();
        expect(remote['/fresh/inner/new.txt']).toBe(sha256('new'));
        expect(remote['/fresh/inner']).toBe(FOLDER);
      }, 30_000);
    });
    expect(await idOf(a, '/other', 'renamed.txt')).toBe(movedId);
    expect(await remoteTree(a)).toEqual(normalized(await localTree(a.folder)));
  }, 60_000);

  it('holds an rm -rf of a watched folder, seen as one delete event per file, until it is confirmed', async () => {
    world = await openDevices(service.server, ['host-a'], { watch: WATCH });
    const a = world.devices[0]!;
    await mkdir(a.path('many/sub'), { recursive: true });
    for (let i = 0; i < 150; i++) await writeFile(a.path(`many/${i % 2 ? 'sub/' : ''}file-${i}.txt`), `content ${i}`);
    await writeFile(a.path('keep.txt'), 'keep');
    await syncInOrder(a);
    const full = await remoteTree(a);

    await watching(a, async (events) => {
      await rm(a.path('many'), { recursive: true });
      await eventually(async () => expect(events.some((event) => event.type === 'massDelete')).toBe(true), 20_000);
      expect(events.find((event) => event.type === 'massDelete')).toMatchObject({ count: 152, side: 'remote' });
      // Later rounds (the watcher's own settling) keep holding them.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await remoteTree(a)).toEqual(full);

      a.client.engine.confirmMassDelete();
      await eventually(async () => expect(await remoteTree(a)).toEqual({ '/keep.txt': sha256('keep') }), 20_000);
    });
  }, 60_000);

  it('stops with sync_root_missing when the watched folder is emptied by one rm -rf, and deletes nothing on the service', async () => {
    world = await openDevices(service.server, ['host-a'], { watch: WATCH });
    const a = world.devices[0]!;
    await mkdir(a.path('only/deep'), { recursive: true });
    for (const name of ['x', 'y', 'deep/z']) await writeFile(a.path(`only/${name}.txt`), name);
    await syncInOrder(a);
    const full = await remoteTree(a);

    // Everything in the root goes in one rm -rf: too few files for the mass-delete guard, but an empty root.
    await watching(a, async (_events, run) => {
      await rm(a.path('only'), { recursive: true });
      await expect(run).rejects.toSatisfy((error) => isSyncError(error) && error.code === 'sync_root_missing');
    });
    expect(await remoteTree(a)).toEqual(full);

  }, 60_000);
});
