import { readFile, rename, writeFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { useSyncService, openDevices, syncInOrder, type DeviceWorld } from '../helpers/syncDevices.js';

const service = useSyncService();
let world: DeviceWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/**
 * The cause that fits counterexample seed 1884475234 path "2" of the randomized
 * watch suite ("contents lost: host-a write 4"): host-a wrote 4 into /b.txt,
 * uploaded it, then moved /b.txt into /文; host-b, still holding the older
 * /b.txt, pulled the update and the move together. It replayed the move
 * locally but recorded the base with the service's new hash, so its next plan
 * took the untouched old file for an edit and uploaded it over write 4.
 */
it('a file edited then moved on the service arrives moved with its edit (seed 1884475234 path "2")', async () => {
  world = await openDevices(service.server, ['host-a', 'host-b']);
  const [a, b] = world.devices as [typeof world.devices[0], typeof world.devices[0]];
  await writeFile(a.path('x'), 'v1');
  await syncInOrder(a, b);
  await writeFile(b.path('x'), 'v2 edited on B');
  await syncInOrder(b);
  await rename(b.path('x'), b.path('y'));
  await syncInOrder(b);
  await syncInOrder(a, b, a);
  expect(await readFile(a.path('y'), 'utf8')).toBe('v2 edited on B');
  expect(await readFile(b.path('y'), 'utf8')).toBe('v2 edited on B');
});
