import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { folderListingSchema } from '../protocol/folders.js';
import { cli } from './helpers/cliProcess.js';
import { openDevices, remoteTree, sha256, syncInOrder, useSyncService, type DeviceWorld } from './helpers/syncDevices.js';

const service = useSyncService();
let world: DeviceWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
});

/** `netdisk-sync folders` (compiled: needs `npx tsc -b`) on the state of a device the test syncs with the real service. */
describe('netdisk-sync folders', () => {
  it('lists sizes, excludes and includes; the engine on the same state acts on the choices at its next sync', async () => {
    world = await openDevices(service.server, ['host-a']);
    const a = world.devices[0]!;
    await mkdir(a.path('photos/trip'), { recursive: true });
    await writeFile(a.path('photos/trip/two.jpg'), 'two');
    await writeFile(a.path('photos/one.jpg'), 'one!');
    await mkdir(a.path('docs'));
    await syncInOrder(a);
    const state = ['--state', a.stateDir];

    const listed = await cli(['folders', 'list', '--json', ...state]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(folderListingSchema.parse(JSON.parse(listed.stdout))).toEqual({
      path: '/',
      syncNewFolders: true,
      folders: [
        { path: '/docs', name: 'docs', size: 0, files: 0, hasFolders: false, state: 'kept' },
        { path: '/photos', name: 'photos', size: 7, files: 2, hasFolders: true, state: 'kept' },
      ],
    });

    const excluded = await cli(['folders', 'exclude', '/photos', ...state]);
    expect(excluded.code, excluded.stderr).toBe(0);
    const text = await cli(['folders', 'list', ...state]);
    expect(text.stdout).toContain('/photos\t7 B\t2 files\texcluding');
    await syncInOrder(a);
    expect(existsSync(a.path('photos'))).toBe(false);
    expect((await remoteTree(a))['/photos/one.jpg']).toBe(sha256('one!'));
    expect((await cli(['folders', 'list', ...state])).stdout).toContain('/photos\t7 B\t2 files\tnot kept');

    const included = await cli(['folders', 'include', '/photos', ...state]);
    expect(included.code, included.stderr).toBe(0);
    await syncInOrder(a);
    expect(existsSync(a.path('photos/trip/two.jpg'))).toBe(true);

    const newFolders = await cli(['folders', 'new-folders', 'no', ...state]);
    expect(newFolders.code, newFolders.stderr).toBe(0);
    expect(a.client.engine.folders.syncNewFolders()).toBe(false);
  }, 120_000);

  it('refuses a folder the service does not have, with exit code 4 and the error code', async () => {
    world = await openDevices(service.server, ['host-a']);
    const a = world.devices[0]!;
    await syncInOrder(a);
    const refused = await cli(['folders', 'exclude', '/nowhere', '--state', a.stateDir]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('there is no folder /nowhere on the service (as of the last sync) (not_found)');
  }, 60_000);
});
