import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { changesResponse, type Change } from '../../protocol/api.js';
import type { EngineEvent } from '../../protocol/engine.js';
import { isSyncError } from '../../app/errors.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import {
  FOLDER, localTree, normalized, openDevices, remoteTree, sha256, snapshots, syncInOrder,
  type Device, type DeviceWorld, type TreeSnapshot,
} from '../helpers/syncDevices.js';

let server: TestServer;
let xdgDataHome: string;
let world: DeviceWorld | null = null;

beforeAll(async () => {
  // Local deletes go to the freedesktop trash; keep it out of the real home.
  xdgDataHome = await mkdtemp(join(tmpdir(), 'netdisk-sync-e2e-xdg-'));
  process.env.XDG_DATA_HOME = xdgDataHome;
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
  await rm(xdgDataHome, { recursive: true, force: true });
});

afterEach(async () => {
  await world?.close();
  world = null;
});

async function pair(): Promise<[Device, Device]> {
  world = await openDevices(server, ['host-a', 'host-b']);
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
  const response = await fetch(`${server.api}/changes?cursor=${cursor}&limit=5000`, { headers: world!.user.auth });
  return changesResponse.parse(await response.json()).changes;
}

async function latestCursor(): Promise<number> {
  const response = await fetch(`${server.api}/changes/latest`, { headers: world!.user.auth });
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
});
