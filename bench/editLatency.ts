/**
 * Edit-to-remote latency of a small file while the engine watches
 * (`engine.run()`): from the write on disk to the new content appearing in
 * the service's change feed, read by a long poll as the same user. Baselines
 * in the same run: the floor the watcher's design imposes (its debounce plus
 * its stability wait), and the round trip of a direct HTTP batch upload of
 * the same file. The service runs in its own process; the engine in this one.
 * NETDISK_BENCH_DIR picks the disk, NETDISK_BENCH_EDITS the edits (default 40).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { changesResponse, tokenPairResponse } from '../protocol/api.js';
import { hashBytes } from '../protocol/contentHash.js';
import { FileCredentialStore } from '../app/auth/fileCredentialStore.js';
import { DEFAULT_DEBOUNCE_MS, DEFAULT_STABILITY_MS } from '../app/local/watcher.js';
import { SyncClient } from '../app/syncClient.js';
import { registerUser, spawnService } from './support/service.js';
import { loadNote, median, quantile } from './support/stats.js';

const BENCH_DIR = process.env.NETDISK_BENCH_DIR ?? tmpdir();
const EDITS = Number(process.env.NETDISK_BENCH_EDITS ?? 40);
const PASSWORD = 'bench password 1234';
const USERNAME = 'latency-bench';
const FILE = '/edited.txt';
const TARGET_MEDIAN_MS = 1000;

async function api(url: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** Long-polls the change feed from `cursor` until `path` has `contentHash`; returns the new cursor. */
async function waitForContent(base: string, auth: Record<string, string>, cursor: number, contentHash: string): Promise<number> {
  for (;;) {
    const page = changesResponse.parse(await api(`${base}/changes?cursor=${cursor}&wait=30`, { headers: auth }));
    cursor = page.cursor;
    if (page.changes.some((c) => c.path === FILE && c.entry.contentHash === contentHash)) return cursor;
  }
}

function content(n: number): Buffer {
  return Buffer.concat([Buffer.from(`edit ${n}\n`), randomBytes(1024)]);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const work = mkdtempSync(join(BENCH_DIR, 'netdisk-bench-latency-'));
const service = await spawnService(work);
let client: SyncClient | undefined;
try {
  const base = `${service.url}/api/v1`;
  await registerUser(service.url, USERNAME, PASSWORD);
  const pair = tokenPairResponse.parse(await api(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: USERNAME, password: PASSWORD, deviceName: 'latency probe' }),
  }));
  const auth = { authorization: `Bearer ${pair.accessToken}` };

  // Baseline: the same small file sent straight to the service, one request each.
  const direct: number[] = [];
  for (let n = 0; n < EDITS; n++) {
    const bytes = content(n);
    const body = JSON.stringify({ files: [{ path: '/direct.txt', contentHash: hashBytes(bytes).contentHash, mtime: Date.now(), contentBase64: bytes.toString('base64') }] });
    const start = performance.now();
    await api(`${base}/uploads/batch`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
    direct.push(performance.now() - start);
  }

  const folder = join(work, 'folder');
  const stateDir = join(work, 'state');
  mkdirSync(folder);
  for (let i = 0; i < 20; i++) writeFileSync(join(folder, `other-${i}.txt`), randomBytes(2048));
  writeFileSync(join(folder, FILE.slice(1)), content(-1));
  client = await SyncClient.open({ server: service.url, folder, stateDir, warn: () => {}, credentials: new FileCredentialStore(stateDir) });
  await client.login(USERNAME, PASSWORD);
  const first = await client.engine.syncOnce();
  if (!first.converged) throw new Error('the initial sync did not converge');
  let idle = Promise.resolve();
  let markIdle = () => {};
  client.engine.on((event) => { if (event.type === 'state' && event.state === 'idle') markIdle(); });
  const running = client.engine.run();
  let cursor = changesResponse.parse(await api(`${base}/changes?cursor=0&limit=5000`, { headers: auth })).cursor;
  await pause(1000);

  const latencies: number[] = [];
  for (let n = 0; n < EDITS; n++) {
    const bytes = content(n);
    idle = new Promise((resolve) => { markIdle = resolve; });
    const start = performance.now();
    writeFileSync(join(folder, FILE.slice(1)), bytes);
    cursor = await waitForContent(base, auth, cursor, hashBytes(bytes).contentHash);
    latencies.push(performance.now() - start);
    // The engine's own upload comes back through its feed and starts a round that plans nothing; let it finish.
    await idle;
    await pause(300);
  }
  await client.engine.stop();
  await running;

  const floor = DEFAULT_DEBOUNCE_MS + DEFAULT_STABILITY_MS;
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  console.log(`edit-to-remote latency, ${EDITS} edits of a 1 KiB file, watcher debounce ${DEFAULT_DEBOUNCE_MS} ms + stability ${DEFAULT_STABILITY_MS} ms, ${loadNote()}`);
  console.log(`direct HTTP batch upload round trip: median ${ms(median(direct))}, p95 ${ms(quantile(direct, 0.95))}`);
  console.log(`netdisk-sync watching: median ${ms(median(latencies))}, p95 ${ms(quantile(latencies, 0.95))}, min ${ms(Math.min(...latencies))}, max ${ms(Math.max(...latencies))}`);
  console.log(`ratio median/design floor (${ms(floor)}) ${(median(latencies) / floor).toFixed(2)}; median/direct upload ${(median(latencies) / median(direct)).toFixed(1)}; median ${median(latencies) <= TARGET_MEDIAN_MS ? 'OK' : 'SLOW'} (target < ${ms(TARGET_MEDIAN_MS)})`);
} finally {
  await client?.close();
  await service.stop();
  rmSync(work, { recursive: true, force: true });
}
