/**
 * The engine at 100,000 files (NETDISK_BENCH_SCALE_FILES): a fresh watching
 * process syncs a folder of that many small files from scratch, starts
 * watching, and one file in it is edited a few times (NETDISK_BENCH_EDITS,
 * default 5). Prints the initial sync's time and peak RSS, then the edit
 * latency and the watching process's peak RSS against the targets of
 * issue 10 (initial sync ≤ 45 s and ≤ 350 MiB; watching ≤ 300 MiB).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService } from './support/service.js';
import { loadNote, median } from './support/stats.js';
import { runWatchCase } from './support/watchCase.js';

const BENCH_DIR = process.env.NETDISK_BENCH_DIR ?? tmpdir();
const FILES = Number(process.env.NETDISK_BENCH_SCALE_FILES ?? 100_000);
const EDITS = Number(process.env.NETDISK_BENCH_EDITS ?? 5);
const verdict = (ok: boolean) => (ok ? 'OK' : 'OVER');

const work = mkdtempSync(join(BENCH_DIR, 'netdisk-bench-scale-'));
const service = await spawnService(work);
try {
  console.log(`${FILES} files of 0-4 KiB in one folder, ${loadNote()}`);
  const r = await runWatchCase(service.url, work, FILES, EDITS);
  console.log(`initial sync: ${r.initialSyncSeconds.toFixed(1)} s (${(FILES / r.initialSyncSeconds).toFixed(0)} files/s), peak RSS ${r.initialSyncPeakRssMiB.toFixed(0)} MiB `
    + `(${verdict(r.initialSyncSeconds <= 45)} ≤ 45 s, ${verdict(r.initialSyncPeakRssMiB <= 350)} ≤ 350 MiB)`);
  console.log(`watching: edit → change feed median ${median(r.latenciesMs).toFixed(0)} ms (edits: ${r.latenciesMs.map((v) => v.toFixed(0)).join(', ')}), `
    + `peak RSS ${r.watchingPeakRssMiB.toFixed(0)} MiB (${verdict(r.watchingPeakRssMiB <= 300)} ≤ 300 MiB)`);
  console.log(`after: ${loadNote()}`);
} finally {
  await service.stop();
  rmSync(work, { recursive: true, force: true });
}
