/**
 * Edit-to-remote latency of a small file while a client watches
 * (`engine.run()` in its own process): from the write on disk to the new
 * content in the service's change feed, read by a long poll as the same
 * user. Cases (NETDISK_BENCH_LATENCY_FILES, default `10,100000,100000:flat`):
 * 10 files, 100,000 in folders of 100, and 100,000 in one folder, the edited
 * file in the first folder; an edit must cost the same whatever the folder
 * holds (≤ 1.2 × the first case). Baselines in the
 * same run: the watcher's design floor (debounce + stability wait) and the
 * round trip of a direct HTTP batch upload. Also prints the watching
 * process's peak RSS per case. NETDISK_BENCH_DIR picks the disk,
 * NETDISK_BENCH_EDITS the edits per case (default 20).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { hashBytes } from '../protocol/contentHash.js';
import { DEFAULT_DEBOUNCE_MS, DEFAULT_STABILITY_MS } from '../app/local/watcher.js';
import { registerUser, spawnService } from './support/service.js';
import { loadNote, median, quantile } from './support/stats.js';
import { parseWatchCases, runWatchCase, signInProbe, type WatchCaseResult } from './support/watchCase.js';

const BENCH_DIR = process.env.NETDISK_BENCH_DIR ?? tmpdir();
const CASES = parseWatchCases(process.env.NETDISK_BENCH_LATENCY_FILES ?? '10,100000,100000:flat');
const EDITS = Number(process.env.NETDISK_BENCH_EDITS ?? 20);
const TARGET_MEDIAN_MS = 700;
const TARGET_GROWTH = 1.2;
const ms = (v: number) => `${v.toFixed(0)} ms`;

const work = mkdtempSync(join(BENCH_DIR, 'netdisk-bench-latency-'));
const service = await spawnService(work);
try {
  // Baseline: the same small file sent straight to the service, one request each.
  await registerUser(service.url, 'direct-probe', 'bench password 1234');
  const probe = await signInProbe(service.url, 'direct-probe');
  const direct: number[] = [];
  for (let n = 0; n < EDITS; n++) {
    const bytes = Buffer.concat([Buffer.from(`edit ${n}\n`), randomBytes(1024)]);
    // The route the sync client uses: a manifest line, then the bytes.
    const manifest = JSON.stringify({ files: [{ path: '/direct.txt', contentHash: hashBytes(bytes).contentHash, mtime: Date.now(), size: bytes.length }] });
    const body = Buffer.concat([Buffer.from(`${manifest}\n`), bytes]);
    const start = performance.now();
    const response = await fetch(`${probe.base}/uploads/batch/binary`, { method: 'POST', headers: { ...probe.auth, 'content-type': 'application/octet-stream' }, body });
    if (!response.ok) throw new Error(`direct upload answered ${response.status}`);
    direct.push(performance.now() - start);
  }

  const floor = DEFAULT_DEBOUNCE_MS + DEFAULT_STABILITY_MS;
  console.log(`edit-to-remote latency, ${EDITS} edits of a 1 KiB file per case, watcher debounce ${DEFAULT_DEBOUNCE_MS} ms + stability ${DEFAULT_STABILITY_MS} ms`);
  console.log(`direct HTTP batch upload round trip: median ${ms(median(direct))}, p95 ${ms(quantile(direct, 0.95))}`);
  const results: WatchCaseResult[] = [];
  for (const watchCase of CASES) {
    console.log(`${watchCase.label}: setting up (initial sync in a fresh process), ${loadNote()}`);
    const r = await runWatchCase(service.url, work, watchCase, EDITS);
    results.push(r);
    const smallest = median(results[0]!.latenciesMs);
    const m = median(r.latenciesMs);
    console.log(`watching ${r.case.label}: median ${ms(m)}, p90 ${ms(quantile(r.latenciesMs, 0.9))}, max ${ms(Math.max(...r.latenciesMs))}; `
      + `ratio to ${results[0]!.case.files} files ${(m / smallest).toFixed(2)} (target ≤ ${TARGET_GROWTH}), median/floor ${(m / floor).toFixed(2)}, `
      + `${m <= TARGET_MEDIAN_MS ? 'OK' : 'SLOW'} (target ≤ ${ms(TARGET_MEDIAN_MS)}); watching peak RSS ${r.watchingPeakRssMiB.toFixed(0)} MiB; `
      + `initial sync ${r.initialSyncSeconds.toFixed(1)} s, peak RSS ${r.initialSyncPeakRssMiB.toFixed(0)} MiB; ${loadNote()}`);
  }
  console.log(`after: ${loadNote()}`);
} finally {
  await service.stop();
  rmSync(work, { recursive: true, force: true });
}
