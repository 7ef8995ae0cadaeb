import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncClient } from '../../app/syncClient.js';
import { signUp, uniqueUsername } from '../helpers/accounts.js';
import { mountSmallDisks, type SmallDisk } from '../helpers/smallDisk.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { download, uploadFile } from '../helpers/uploads.js';
import { CHUNK, openClient, randomContent } from './faultHarness.js';

/**
 * `--state` on another file system than the sync folder (a tmpfs each):
 * downloads, replacements and conflict copies still land, through the
 * hidden partial folder at the sync root, which is never synced. Needs
 * `npx tsc -b` (the hash worker runs from dist/).
 */

let server: TestServer;
let disks: SmallDisk[] | string;
const clients: SyncClient[] = [];

beforeAll(async () => {
  disks = mountSmallDisks(['16m', '64m'], 'the state-on-another-disk tests');
  server = await startTestServer();
});

afterAll(async () => {
  for (const client of clients.splice(0)) await client.close();
  await server?.close();
  if (typeof disks !== 'string') for (const disk of disks) disk.unmount();
});

describe('state folder on another file system', () => {
  it('downloads new and changed files into the folder and keeps the partial folder out of sync', async (context) => {
    if (typeof disks === 'string') return context.skip();
    const [stateDisk, folderDisk] = disks as [SmallDisk, SmallDisk];
    const stateDir = join(stateDisk.dir, 'state');
    const folder = join(folderDisk.dir, 'folder');
    mkdirSync(folder);
    const account = await signUp(server.api, uniqueUsername('elsewhere'));
    const big = randomContent(CHUNK + 1234);
    await uploadFile(server.api, account.auth, '/big.bin', big);
    const doc = await uploadFile(server.api, account.auth, '/doc.txt', Buffer.from('first version'));
    // A partial file no job owns (a crash left it): the first transfer round deletes it.
    const partialDir = join(folder, '.netdisk-sync', 'partial');
    mkdirSync(partialDir, { recursive: true });
    writeFileSync(join(partialDir, '999.netdisk-partial'), 'left over');

    const client = await openClient({ server: server.url, folder, stateDir, username: account.user.username });
    clients.push(client);
    const first = await client.engine.syncOnce();
    expect(first.failures).toEqual([]);
    expect(first.converged).toBe(true);
    expect(readFileSync(join(folder, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(folder, 'doc.txt'), 'utf8')).toBe('first version');

    // A remote edit replaces the synced local file (the set-aside path), still across devices from the state.
    await uploadFile(server.api, account.auth, '/doc.txt', Buffer.from('second version'), { ifRev: doc.rev });
    const second = await client.engine.syncOnce();
    expect(second.failures).toEqual([]);
    expect(readFileSync(join(folder, 'doc.txt'), 'utf8')).toBe('second version');

    expect(readdirSync(partialDir)).toEqual([]);
    expect(existsSync(join(stateDir, 'partial'))).toBe(false);
    const listing = await fetch(`${server.api}/files?path=/`, { headers: account.auth }).then((r) => r.json()) as { entries: { path: string }[] };
    expect(listing.entries.map((entry) => entry.path).sort()).toEqual(['/big.bin', '/doc.txt']);
    const stored = await download(server.api, account.auth, '/doc.txt');
    expect(stored.bytes.toString()).toBe('second version');
  }, 60_000);
});
