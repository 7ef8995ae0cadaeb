import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncClient } from '../../app/syncClient.js';
import type { EngineEvent } from '../../protocol/engine.js';
import { signUp, uniqueUsername } from '../helpers/accounts.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/smallDisk.js';
import { eventually } from '../helpers/syncDevices.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { download } from '../helpers/uploads.js';
import { openClient, randomContent, tempDir, until } from './faultHarness.js';

/**
 * The service's data disk (a small tmpfs) fills up while a client syncs:
 * its 507 `insufficient_storage` is a visible `service_full` issue, tried
 * once per sync rather than in a tight retry loop, and the watching engine
 * looks again by itself after a pause, so the upload lands once space is
 * freed. Needs `npx tsc -b` (the hash worker runs from dist/).
 */

let disk: SmallDisk | string;
let server: TestServer;
let proxy: FaultProxy;
let folder: string;

beforeAll(async () => {
  disk = mountSmallDisk('24m', 'service-full');
  if (typeof disk === 'string') {
    console.log(`skipping the service-full tests: cannot mount a tmpfs (${disk})`);
    return;
  }
  const dataDir = disk.dir;
  server = await startTestServer((config) => { config.dataDir = dataDir; });
  proxy = await startFaultProxy(server.url);
  folder = tempDir('service-full');
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
  if (typeof disk !== 'string') disk.unmount();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const isUploadStart = (r: { method: string; url: string }) => r.method === 'POST' && /^\/api\/v1\/uploads(\/batch)?$/.test(r.url);

describe('service out of disk space', () => {
  it('reports service_full once per sync without a retry storm, and uploads by itself once space is freed', async (context) => {
    if (typeof disk === 'string') return context.skip();
    const { fill, release } = disk;
    const account = await signUp(server.api, uniqueUsername('svcfull'));
    const client: SyncClient = await openClient({ server: proxy.url, folder, username: account.user.username });
    try {
      const events: EngineEvent[] = [];
      client.engine.on((event) => events.push(event));
      expect((await client.engine.syncOnce()).converged).toBe(true);

      fill();
      const small = Buffer.from('a small note');
      const large = randomContent(300 * 1024);
      writeFileSync(join(folder, 'note.txt'), small);
      writeFileSync(join(folder, 'large.bin'), large);
      const from = proxy.seen.length;
      const summary = await client.engine.syncOnce();
      expect(summary.converged).toBe(false);
      expect(summary.failures.map((f) => `${f.path} ${f.code}`).sort()).toEqual(['/large.bin service_full', '/note.txt service_full']);
      expect(events).toContainEqual({ type: 'issue', issue: expect.objectContaining({ code: 'service_full' }) });
      // One attempt per file in this sync (the small one may go in a batch): no quick retries against a full disk.
      const attempts = proxy.seen.slice(from).filter(isUploadStart);
      expect(attempts.length).toBeGreaterThanOrEqual(1);
      expect(attempts.length).toBeLessThanOrEqual(2);
      expect(attempts.every((r) => r.status === 507)).toBe(true);

      // Watching: nothing changes locally after the space is freed, yet the engine looks again and uploads.
      const mark = proxy.seen.length;
      const running = client.engine.run();
      await until(() => proxy.seen.slice(mark).some((r) => isUploadStart(r) && r.status === 507), 'the watching engine to meet the full disk');
      release();
      await eventually(async () => {
        expect((await download(server.api, account.auth, '/note.txt')).bytes.equals(small)).toBe(true);
        expect((await download(server.api, account.auth, '/large.bin')).bytes.equals(large)).toBe(true);
      }, 20_000);
      await client.engine.stop();
      await running;
    } finally {
      await client.close();
    }
  }, 60_000);
});
