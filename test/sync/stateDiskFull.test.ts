import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STATE_FILE_NAME } from '../../app/clientAccount.js';
import { SqliteStateStore } from '../../app/db/sqliteStateStore.js';
import type { SyncClient } from '../../app/syncClient.js';
import type { EngineEvent } from '../../protocol/engine.js';
import { signUp, TEST_PASSWORD, uniqueUsername } from '../helpers/accounts.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/smallDisk.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { uploadFile } from '../helpers/uploads.js';
import { openClient, tempDir } from './faultHarness.js';

/**
 * The client's state database on a full disk (a small tmpfs): every failure
 * is `disk_full` (never `internal` or a stack trace), the database stays
 * intact, and the next run after space is freed finishes. Needs `npx tsc -b`
 * (the CLI and the hash worker run from dist/).
 */

const CLI = join(import.meta.dirname, '../../bin/netdisk-sync.js');

let server: TestServer;
let disk: SmallDisk | string;
const clients: SyncClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  if (typeof disk !== 'string') disk.unmount();
});

afterAll(async () => {
  await server?.close();
});

/** A fresh 8 MiB disk for the state, or a skip with the reason. */
function stateDisk(context: { skip: () => void }): SmallDisk {
  disk = mountSmallDisk('8m', 'state');
  if (typeof disk === 'string') {
    console.log(`skipping the full-state-disk test: cannot mount a tmpfs (${disk})`);
    context.skip();
  }
  return disk as SmallDisk;
}

function integrity(file: string): string {
  const db = new Database(file);
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

const treeNode = (i: number) => ({
  path: `/f${i}-${'x'.repeat(200)}`, kind: 'file' as const, size: i, mtime: i, contentHash: 'h'.repeat(64), inode: String(i), ctime: i,
});

describe('state database on a full disk', () => {
  it('refuses to open with disk_full, and works again once space is freed', (context) => {
    const { dir, fill, release } = stateDisk(context);
    const file = join(dir, STATE_FILE_NAME);
    const store = SqliteStateStore.open(file);
    store.setSetting('k', 'v');
    store.close();
    fill();
    expect(() => SqliteStateStore.open(file)).toThrow(expect.objectContaining({ name: 'SyncError', code: 'disk_full' }));
    release();
    expect(integrity(file)).toBe('ok');
    const reopened = SqliteStateStore.open(file);
    expect(reopened.getSetting('k')).toBe('v');
    reopened.close();
  });

  it('fails a write with disk_full, commits none of it, and takes it once space is freed', (context) => {
    const { dir, fill, release } = stateDisk(context);
    const file = join(dir, STATE_FILE_NAME);
    const store = SqliteStateStore.open(file);
    store.write([{ tree: 'local', op: 'upsert', node: treeNode(0) }]);
    fill();
    const writes = Array.from({ length: 3000 }, (_, i) => ({ tree: 'local' as const, op: 'upsert' as const, node: treeNode(i + 1) }));
    expect(() => store.write(writes)).toThrow(expect.objectContaining({ name: 'SyncError', code: 'disk_full' }));
    expect(() => store.jobs.enqueueJobs(Array.from({ length: 3000 }, (_, i) => ({ kind: 'download', path: `/j${i}-${'y'.repeat(300)}`, payload: {} })), 0))
      .toThrow(expect.objectContaining({ code: 'disk_full' }));
    expect(store.loadLocal().size).toBe(1);
    expect(store.jobs.listJobs()).toEqual([]);
    release();
    store.write(writes);
    expect(store.loadLocal().size).toBe(3001);
    store.close();
    expect(integrity(file)).toBe('ok');
  });

  it('engine: a full state disk mid-sync is a disk_full issue, and the next sync after freeing space converges', async (context) => {
    const { dir, fill, release } = stateDisk(context);
    const folder = tempDir('statefull');
    const account = await signUp(server.api, uniqueUsername('statefull'));
    const client = await openClient({ server: server.url, folder, stateDir: join(dir, 'state'), username: account.user.username });
    clients.push(client);
    const events: EngineEvent[] = [];
    client.engine.on((event) => events.push(event));
    expect((await client.engine.syncOnce()).converged).toBe(true);

    // Enough remote entries that the change feed cannot be recorded without new pages in the database.
    for (let i = 0; i < 40; i++) await fetch(`${server.api}/files/mkdir`, {
      method: 'POST', headers: { ...account.auth, 'content-type': 'application/json' }, body: JSON.stringify({ path: `/folder-${i}-${'z'.repeat(150)}` }),
    });
    await uploadFile(server.api, account.auth, '/a.txt', Buffer.from('from the service'));
    fill();
    await expect(client.engine.syncOnce()).rejects.toMatchObject({ name: 'SyncError', code: 'disk_full' });
    expect(events).toContainEqual({ type: 'issue', issue: expect.objectContaining({ code: 'disk_full' }) });

    release();
    const after = await client.engine.syncOnce();
    expect(after.failures).toEqual([]);
    expect(after.converged).toBe(true);
    expect(readFileSync(join(folder, 'a.txt'), 'utf8')).toBe('from the service');
    await client.close();
    clients.splice(0);
    expect(integrity(join(dir, 'state', STATE_FILE_NAME))).toBe('ok');
  }, 60_000);

  it('CLI: a full state disk at start exits 5 with one line, and the next run after freeing space finishes', async (context) => {
    const { dir, fill, release } = stateDisk(context);
    const folder = tempDir('clifull');
    const stateDir = join(dir, 'state');
    const account = await signUp(server.api, uniqueUsername('clifull'));
    writeFileSync(join(folder, 'mine.txt'), 'local');
    const run = () => runCli(['--server', server.url, '--folder', folder, '--state', stateDir, '--once', '--username', account.user.username]);
    const first = await run();
    expect(first.code, first.stderr).toBe(0);

    fill();
    writeFileSync(join(folder, 'second.txt'), 'while the state disk was full');
    const full = await run();
    expect(full.code, full.stderr).toBe(5);
    const lines = full.stderr.trim().split('\n');
    expect(lines, full.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^netdisk-sync: no space left for .*state\.sqlite.*\(disk_full\)$/);

    release();
    expect(integrity(join(stateDir, STATE_FILE_NAME))).toBe('ok');
    const after = await run();
    expect(after.code, after.stderr).toBe(0);
    const listing = await fetch(`${server.api}/files?path=/`, { headers: account.auth }).then((r) => r.json()) as { entries: { path: string }[] };
    expect(listing.entries.map((entry) => entry.path).sort()).toEqual(['/mine.txt', '/second.txt']);
    expect(integrity(join(stateDir, STATE_FILE_NAME))).toBe('ok');
  }, 90_000);
});

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NETDISK_PASSWORD: TEST_PASSWORD },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => { stderr += data.toString(); });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}
