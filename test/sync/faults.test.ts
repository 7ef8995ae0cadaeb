import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyncSummary } from '../../app/engine/syncEngine.js';
import type { SyncClient } from '../../app/syncClient.js';
import { uploadStatusSchema } from '../../protocol/api.js';
import { signUp, uniqueUsername, type SignedUpUser } from '../helpers/accounts.js';
import { startFaultProxy, type Fault, type FaultPlan, type FaultProxy, type SeenRequest } from '../helpers/faultProxy.js';
import { mountSmallDisk } from '../helpers/smallDisk.js';
import { restartTestServer, startTestServer, type TestServer } from '../helpers/testServer.js';
import { chunkOf, download, uploadFile } from '../helpers/uploads.js';
import {
  CHUNK, CHUNKS_IN_FLIGHT, FAST_BACKOFF, chunkBytesSent, isChunkPut, isContentGet, openClient, randomContent, tempDir, until,
  writeRandomFile,
} from './faultHarness.js';

/**
 * The engine against the real service through a fault proxy: restarts,
 * resets, stalls, truncated and corrupt answers, 503s, a full disk, a file
 * edited mid-upload, pause and resume. Every case ends in sync with
 * byte-identical files (or, where the fault never ends, with a clear failure
 * and nothing half-written). Needs `npx tsc -b` (the hash worker runs from dist/).
 */

let server: TestServer;
let proxy: FaultProxy;
const dirs: string[] = [];
const clients: SyncClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startFaultProxy(server.url);
});

afterEach(async () => {
  proxy.setPlan(() => ({ kind: 'pass' }));
  for (const client of clients.splice(0)) await client.close();
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  account: SignedUpUser;
  folder: string;
  client: SyncClient;
}

type ClientOptions = Parameters<typeof openClient>[0];

async function setup(name: string, options: { folder?: string } & Pick<ClientOptions, 'engine' | 'transport' | 'stateDir'> = {}): Promise<Setup> {
  const account = await signUp(server.api, uniqueUsername(name));
  const folder = options.folder ?? tempDir(name);
  if (!options.folder) dirs.push(folder);
  const client = await openClient({
    server: proxy.url,
    folder,
    username: account.user.username,
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
  });
  clients.push(client);
  return { account, folder, client };
}

/** Faults for the requests `matches` picks, in order; everything else (and later ones) passes. */
function faultsFor(matches: (req: { method: string; url: string }) => boolean, faults: Fault[]): FaultPlan {
  let used = 0;
  return (req) => (matches(req) && used < faults.length ? faults[used++]! : { kind: 'pass' });
}


function expectInSync(summary: SyncSummary): void {
  expect(summary.failures).toEqual([]);
  expect(summary.converged).toBe(true);
}

async function expectOnService(account: SignedUpUser, path: string, bytes: Buffer): Promise<void> {
  const stored = await download(server.api, account.auth, path);
  expect(stored.status).toBe(200);
  expect(stored.bytes.equals(bytes)).toBe(true);
}

/**
 * A chunk PUT sent straight to the service with half its body, held open:
 * `started` once that half is on its way, `finish` sends the rest and
 * resolves to the service's status.
 */
function holdChunkPut(url: string, auth: { authorization: string }, body: Uint8Array): { started: Promise<void>; finish(): Promise<number> } {
  const req = httpRequest(url, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': String(body.length) } });
  const answered = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  // The service takes the chunk's lock as soon as it has the headers; the margin covers a loaded machine.
  const started = new Promise<void>((resolve) => req.write(body.subarray(0, body.length / 2), () => resolve()))
    .then(() => new Promise<void>((resolve) => setTimeout(resolve, 200)));
  return {
    started,
    finish: () => {
      req.end(body.subarray(body.length / 2));
      return answered;
    },
  };
}

/** Chunks stored since request `from`. */
const storedChunks = (from: number) => proxy.seen.slice(from).filter((r) => isChunkPut(r) && r.status === 200 && r.answered).length;
/** A chunk is in the middle of its body, so the service cannot have answered it: a fault now lands mid-chunk. */
const chunkHalfSent = (from: number) => proxy.seen.slice(from)
  .some((r) => isChunkPut(r) && r.requestBytes >= CHUNK / 4 && r.requestBytes <= (3 * CHUNK) / 4);

describe('uploads under faults', () => {
  it('survives a service restart mid-upload and re-sends at most the chunks in flight', async () => {
    const { account, folder, client } = await setup('restart', { engine: { uploadLimit: 24 * 1024 * 1024 } });
    const size = 6 * CHUNK;
    const bytes = writeRandomFile(join(folder, 'big.bin'), size);
    const sentBefore = chunkBytesSent(proxy);
    const from = proxy.seen.length;

    const syncing = client.engine.syncOnce();
    await until(() => storedChunks(from) >= 2 && chunkHalfSent(from), 'two chunks stored and one on its way');
    server = await restartTestServer(server);
    client.engine.setBandwidthLimits({ upload: 0 });
    expectInSync(await syncing);

    await expectOnService(account, '/big.bin', bytes);
    // The restart cut chunks that were on their way.
    expect(proxy.seen.slice(from).some((r) => isChunkPut(r) && !r.answered)).toBe(true);
    expect(chunkBytesSent(proxy) - sentBefore).toBeLessThanOrEqual(size + CHUNKS_IN_FLIGHT * CHUNK);
  }, 60_000);

  it('survives connections cut mid-chunk and reset before an answer', async () => {
    const { account, folder, client } = await setup('cut');
    const bytes = writeRandomFile(join(folder, 'cut.bin'), 3 * CHUNK);
    proxy.setPlan(faultsFor(isChunkPut, [
      { kind: 'cutRequest', afterBytes: 1024 * 1024 },
      { kind: 'cutRequest', afterBytes: 5 * 1024 * 1024 },
      { kind: 'reset' },
    ]));
    const from = proxy.seen.length;

    expectInSync(await client.engine.syncOnce());

    await expectOnService(account, '/cut.bin', bytes);
    expect(proxy.seen.slice(from).map((r) => r.fault).filter((f) => f !== 'pass')).toEqual(['cutRequest', 'cutRequest', 'reset']);
  }, 60_000);

  it('a chunk whose connection is cut is sent again on its own: the chunks beside it are not cut off', async () => {
    // Throttled, so the chunks beside it are still on their way when it is cut.
    const { account, folder, client } = await setup('cut-one', { engine: { uploadLimit: 48 * 1024 * 1024 } });
    const size = 6 * CHUNK;
    const bytes = writeRandomFile(join(folder, 'one.bin'), size);
    proxy.setPlan(faultsFor((req) => isChunkPut(req) && req.url.endsWith('/chunks/1'), [{ kind: 'cutRequest', afterBytes: 1024 * 1024 }]));
    const from = proxy.seen.length;

    expectInSync(await client.engine.syncOnce());

    await expectOnService(account, '/one.bin', bytes);
    const puts = proxy.seen.slice(from).filter(isChunkPut);
    expect(puts.filter((r) => r.fault === 'cutRequest')).toHaveLength(1);
    expect(puts.filter((r) => r.fault === 'pass').every((r) => r.answered && r.status === 200)).toBe(true);
    // Each chunk sent whole once, plus the megabyte of the cut one.
    expect(puts.reduce((sum, r) => sum + r.requestBytes, 0)).toBe(size + 1024 * 1024);
  }, 60_000);

  it('a stalled chunk is aborted by pause; resume finishes the upload in the same session', async () => {
    const { account, folder, client } = await setup('stall');
    const bytes = writeRandomFile(join(folder, 'stall.bin'), 3 * CHUNK);
    proxy.setPlan(faultsFor((req) => isChunkPut(req) && req.url.endsWith('/chunks/1'), [{ kind: 'stall' }]));
    const from = proxy.seen.length;

    const syncing = client.engine.syncOnce();
    await until(() => proxy.seen.slice(from).some((r) => r.fault === 'stall'), 'the stalled chunk');
    client.engine.pause();
    await expect(syncing).rejects.toMatchObject({ code: 'aborted' });
    expect(client.engine.state).toBe('paused');

    client.engine.resume();
    expectInSync(await client.engine.syncOnce());
    await expectOnService(account, '/stall.bin', bytes);
    const sessions = proxy.seen.slice(from).filter((r) => r.method === 'POST' && r.url === '/api/v1/uploads');
    expect(sessions).toHaveLength(1);
  }, 60_000);

  it('a stalled chunk times out and is sent again', async () => {
    const { account, folder, client } = await setup('stall-timeout', { transport: { idleTimeoutMs: 2000 } });
    const bytes = writeRandomFile(join(folder, 'slow.bin'), 2 * CHUNK);
    proxy.setPlan(faultsFor((req) => isChunkPut(req) && req.url.endsWith('/chunks/0'), [{ kind: 'stall' }]));
    const from = proxy.seen.length;

    expectInSync(await client.engine.syncOnce());

    await expectOnService(account, '/slow.bin', bytes);
    const chunk0 = proxy.seen.slice(from).filter((r) => isChunkPut(r) && r.url.endsWith('/chunks/0'));
    expect(chunk0.map((r) => r.fault)).toEqual(['stall', 'pass']);
  }, 60_000);

  it('pause aborts the chunks in flight; resume goes on from the persisted chunk state', async () => {
    const { account, folder, client } = await setup('pause', { engine: { uploadLimit: 32 * 1024 * 1024 } });
    const size = 10 * CHUNK;
    const bytes = writeRandomFile(join(folder, 'paused.bin'), size);
    const from = proxy.seen.length;

    const syncing = client.engine.syncOnce();
    // A re-send that races the service still finishing the cut-off request is refused at once (409 chunk_busy)
    // and retried: the service never takes those bytes, so they are not counted as re-sent.
    const sentSince = () => proxy.seen.slice(from).filter((r) => isChunkPut(r) && r.status !== 409).reduce((sum, r) => sum + r.requestBytes, 0);
    await until(() => storedChunks(from) >= 3 && chunkHalfSent(from), 'three chunks stored and one on its way');
    client.engine.pause();
    await expect(syncing).rejects.toMatchObject({ code: 'aborted' });
    const beforePause = proxy.seen.slice(from).filter(isChunkPut);
    // The chunks in flight at the pause were cut off, not finished.
    expect(beforePause.filter((r) => !r.answered).length).toBeGreaterThan(0);
    expect(beforePause.filter((r) => r.answered).length).toBeGreaterThanOrEqual(3);

    client.engine.setBandwidthLimits({ upload: 0 });
    client.engine.resume();
    expectInSync(await client.engine.syncOnce());
    await expectOnService(account, '/paused.bin', bytes);
    const after = proxy.seen.slice(from);
    expect(after.filter((r) => r.method === 'POST' && r.url === '/api/v1/uploads')).toHaveLength(1);
    expect(sentSince()).toBeLessThanOrEqual(size + CHUNKS_IN_FLIGHT * CHUNK);
  }, 60_000);

  it('a chunk another request still holds at the service is waited for alone: its siblings are not cut off, and it is not sent twice', async () => {
    const { account, folder, client } = await setup('busy', { engine: { uploadLimit: 32 * 1024 * 1024 } });
    const bytes = writeRandomFile(join(folder, 'busy.bin'), 8 * CHUNK);
    const from = proxy.seen.length;
    const syncing = client.engine.syncOnce();
    await until(() => storedChunks(from) >= 1, 'a chunk stored');
    client.engine.pause();
    await expect(syncing).rejects.toMatchObject({ code: 'aborted' });

    // Another request (as a cut-off one still being finished at the service would) holds the first chunk not sent
    // yet: no request of the client's, cut off by the pause, can still hold it.
    const chunkOfPut = (r: SeenRequest) => Number(r.url.split('/')[6]);
    const uploadId = proxy.seen.slice(from).find(isChunkPut)!.url.split('/')[4]!;
    const status = uploadStatusSchema.parse(await (await fetch(`${server.api}/uploads/${uploadId}`, { headers: account.auth })).json());
    const touched = new Set(proxy.seen.slice(from).filter(isChunkPut).map(chunkOfPut));
    const held = Array.from({ length: status.chunkCount }, (_, n) => n).find((n) => !touched.has(n))!;
    const holding = holdChunkPut(`${server.api}/uploads/${uploadId}/chunks/${held}`, account.auth, chunkOf(bytes, status.chunkSize, held));
    await holding.started;

    const resumedFrom = proxy.seen.length;
    client.engine.setBandwidthLimits({ upload: 0 });
    client.engine.resume();
    const resumed = client.engine.syncOnce();
    // The client's try is refused (409 chunk_busy); the other request then finishes while the client waits.
    await until(() => proxy.seen.slice(resumedFrom).some((r) => isChunkPut(r) && chunkOfPut(r) === held && r.closed), 'the held chunk refused');
    expect(await holding.finish()).toBe(200);
    expectInSync(await resumed);

    await expectOnService(account, '/busy.bin', bytes);
    const puts = proxy.seen.slice(resumedFrom).filter(isChunkPut);
    // Its siblings were not cut off, and the held chunk was only ever refused: once it had landed, it was not sent.
    expect(puts.filter((r) => chunkOfPut(r) !== held).every((r) => r.answered && r.status === 200)).toBe(true);
    const heldTries = puts.filter((r) => chunkOfPut(r) === held);
    expect(heldTries.length).toBeGreaterThan(0);
    expect(heldTries.every((r) => r.status === 409)).toBe(true);
    expect(proxy.seen.slice(resumedFrom).filter((r) => r.method === 'POST' && r.url === '/api/v1/uploads')).toEqual([]);
  }, 60_000);

  it('a file changed mid-upload: the stale session is dropped and the new content ends up on the service', async () => {
    const { account, folder, client } = await setup('changed', { engine: { uploadLimit: 24 * 1024 * 1024 } });
    const path = join(folder, 'moving.bin');
    writeRandomFile(path, 6 * CHUNK);
    const from = proxy.seen.length;

    const syncing = client.engine.syncOnce();
    await until(() => storedChunks(from) >= 1, 'a chunk stored');
    const edited = randomContent(5 * CHUNK + 123);
    writeFileSync(path, edited);
    client.engine.setBandwidthLimits({ upload: 0 });
    expectInSync(await syncing);

    await expectOnService(account, '/moving.bin', edited);
    const seen = proxy.seen.slice(from);
    const sessions = seen.filter((r) => r.method === 'POST' && r.url === '/api/v1/uploads');
    expect(sessions).toHaveLength(2);
    // The first session was given up at the service, not left to expire.
    const firstSession = seen.find((r) => isChunkPut(r))!.url.split('/')[4];
    expect(seen.some((r) => r.method === 'DELETE' && r.url === `/api/v1/uploads/${firstSession}`)).toBe(true);
  }, 60_000);
});

describe('small files in batches under faults', () => {
  const isBatch = (r: { method: string; url: string }) => r.method === 'POST' && r.url === '/api/v1/uploads/batch/binary';

  it('an answer lost after the service committed a batch: only the files no answer settled are sent again', async () => {
    const { account, folder, client } = await setup('batchlost');
    // 100 files of 200 KiB: three batches (8 MiB each at most), two in flight at once.
    const files = Array.from({ length: 100 }, (_, i) => ({ path: `/f${String(i).padStart(3, '0')}.bin`, bytes: randomContent(200 * 1024) }));
    for (const { path, bytes } of files) writeFileSync(join(folder, path), bytes);
    let batches = 0;
    // The second batch request is committed by the service, but its answer never arrives.
    proxy.setPlan((req) => (isBatch(req) && ++batches === 2 ? { kind: 'truncateResponse', afterBytes: 0 } : { kind: 'pass' }));
    const from = proxy.seen.length;

    expectInSync(await client.engine.syncOnce());

    for (const { path, bytes } of files) await expectOnService(account, path, bytes);
    const sent = proxy.seen.slice(from).filter(isBatch);
    expect(sent.map((r) => r.fault)).toContain('truncateResponse');
    // Files' worth of bytes sent in batches: 40 + 40 (cut) + 20, then the cut batch's 40 again,
    // not all 100 again (which is what settling only at the end of the round cost). Raw bytes, plus a manifest line.
    const perFile = 200 * 1024;
    expect(Math.round(sent.reduce((sum, r) => sum + r.requestBytes, 0) / perFile)).toBe(140);
  }, 60_000);
});

describe('watching under lasting faults', () => {
  it('a sync that gave up on failures outlasting their retries starts again by itself, with no new event, and finishes once the service is back', async () => {
    // The state outside the folder, as the desktop app keeps it: its own writes raise no watcher events here.
    const stateDir = tempDir('gave-up-state');
    dirs.push(stateDir);
    const { account, folder, client } = await setup('gave-up', { stateDir, engine: { watch: { debounceMs: 20, stabilityMs: 50, pollWaitSeconds: 1 } } });
    let serviceDown = true;
    proxy.setPlan((req) => (serviceDown && req.url.startsWith('/api/v1/uploads') ? { kind: 'unavailable' } : { kind: 'pass' }));
    const states: string[] = [];
    client.engine.on((event) => { if (event.type === 'state') states.push(event.state); });
    const run = client.engine.run();
    try {
      writeFileSync(join(folder, 'late.txt'), 'arrives once the service is back');
      // The write raises at most two syncs (events that arrive during the first one mark it dirty again); nothing
      // changes locally or on the service afterwards (uploads keep failing): a third sync is the engine's own retry.
      const gaveUp = () => states.filter((state) => state === 'error').length;
      await until(() => gaveUp() >= 3, 'three syncs that gave up', 90_000);
      serviceDown = false;
      const deadline = Date.now() + 30_000;
      while ((await download(server.api, account.auth, '/late.txt')).status !== 200) {
        if (Date.now() > deadline) throw new Error('late.txt never reached the service');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await expectOnService(account, '/late.txt', Buffer.from('arrives once the service is back'));
    } finally {
      await client.engine.stop();
      await run;
    }
  }, 180_000);
});

describe('downloads under faults', () => {
  async function remoteFile(account: SignedUpUser, path: string, size: number): Promise<Buffer> {
    const bytes = randomContent(size);
    await uploadFile(server.api, account.auth, path, bytes);
    return bytes;
  }

  it('a truncated answer is fetched again', async () => {
    const { account, folder, client } = await setup('truncate');
    const bytes = await remoteFile(account, '/truncated.bin', 2 * CHUNK + 1000);
    proxy.setPlan(faultsFor(isContentGet, [{ kind: 'truncateResponse', afterBytes: 1024 * 1024 }]));
    const from = proxy.seen.length;

    expectInSync(await client.engine.syncOnce());

    expect(readFileSync(join(folder, 'truncated.bin')).equals(bytes)).toBe(true);
    expect(proxy.seen.slice(from).filter((r) => r.fault === 'truncateResponse')).toHaveLength(1);
  }, 60_000);

  it('a 503 on the first attempt of every request after sign-in is retried', async () => {
    const { account, folder, client } = await setup('unavailable');
    const down = await remoteFile(account, '/down.bin', CHUNK + 5000);
    const up = writeRandomFile(join(folder, 'up.bin'), 2 * CHUNK + 7);
    mkdirSync(join(folder, 'docs'));
    writeFileSync(join(folder, 'docs', 'note.txt'), 'a small file goes in a batch');
    const refused = new Set<string>();
    proxy.setPlan((req) => {
      const key = `${req.method} ${req.url}`;
      if (req.url.startsWith('/api/v1/auth') || refused.has(key)) return { kind: 'pass' };
      refused.add(key);
      return { kind: 'unavailable' };
    });

    expectInSync(await client.engine.syncOnce());

    expect(readFileSync(join(folder, 'down.bin')).equals(down)).toBe(true);
    await expectOnService(account, '/up.bin', up);
    await expectOnService(account, '/docs/note.txt', Buffer.from('a small file goes in a batch'));
    expect([...refused].some((key) => key.startsWith('POST /api/v1/files/mkdir'))).toBe(true);
  }, 60_000);

  it('a corrupt answer is caught by the hash check and fetched again', async () => {
    const { account, folder, client } = await setup('corrupt');
    const bytes = await remoteFile(account, '/corrupt.bin', CHUNK);
    proxy.setPlan(faultsFor(isContentGet, [{ kind: 'corruptResponse', body: randomContent(CHUNK) }]));
    const from = proxy.seen.length;

    expectInSync(await client.engine.syncOnce());

    expect(readFileSync(join(folder, 'corrupt.bin')).equals(bytes)).toBe(true);
    expect(proxy.seen.slice(from).filter(isContentGet).map((r) => r.fault)).toEqual(['corruptResponse', 'pass']);
  }, 60_000);

  it('answers that are always corrupt: a hash_mismatch failure and no file at the target path', async () => {
    const { account, folder, client } = await setup('always-corrupt', { engine: { backoff: { ...FAST_BACKOFF, maxAttempts: 2 } } });
    await remoteFile(account, '/bad.bin', CHUNK);
    const garbage = randomContent(CHUNK);
    proxy.setPlan((req) => (isContentGet(req) ? { kind: 'corruptResponse', body: garbage } : { kind: 'pass' }));

    const summary = await client.engine.syncOnce();

    expect(summary.converged).toBe(false);
    expect(summary.failures).toEqual([expect.objectContaining({ path: '/bad.bin', code: 'hash_mismatch' })]);
    expect(existsSync(join(folder, 'bad.bin'))).toBe(false);
    expect(readdirSync(join(folder, '.netdisk-sync', 'partial'))).toEqual([]);
  }, 60_000);
});

describe('disk full on download', () => {
  it('reports disk_full, leaves no partial file at the target and loses nothing', async (context) => {
    const disk = mountSmallDisk('20m', 'diskfull');
    if (typeof disk === 'string') {
      console.log(`skipping the disk-full test: cannot mount a tmpfs (${disk})`);
      context.skip();
      return;
    }
    const folder = disk.dir;
    try {
      const { account, client } = await setup('diskfull', { folder });
      const remote = randomContent(30 * 1024 * 1024);
      await uploadFile(server.api, account.auth, '/huge.bin', remote);
      const local = writeRandomFile(join(folder, 'mine.bin'), 1024 * 1024);

      const summary = await client.engine.syncOnce();

      expect(summary.converged).toBe(false);
      expect(summary.failures).toEqual([expect.objectContaining({ path: '/huge.bin', code: 'disk_full' })]);
      expect(existsSync(join(folder, 'huge.bin'))).toBe(false);
      expect(readdirSync(join(folder, '.netdisk-sync', 'partial'))).toEqual([]);
      // Nothing lost: the local file is still here and reached the service; the remote one is untouched.
      expect(readFileSync(join(folder, 'mine.bin')).equals(local)).toBe(true);
      await expectOnService(account, '/mine.bin', local);
      await expectOnService(account, '/huge.bin', remote);
    } finally {
      for (const client of clients.splice(0)) await client.close();
      disk.unmount();
    }
  }, 60_000);
});
