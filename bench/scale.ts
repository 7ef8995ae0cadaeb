/**
 * The engine at 100,000 files: for each case (NETDISK_BENCH_SCALE_FILES,
 * default `10,100000,100000:flat`: 10 files, 100,000 in folders of 100,
 * 100,000 in one folder) a process syncs the folder from scratch, then a
 * fresh watching process starts on it and one file in the first folder is
 * edited a few times (NETDISK_BENCH_EDITS, default 5). Prints the initial
 * sync's time and peak RSS, then the edit latency (and its ratio to the first
 * case) and the watching process's peak RSS, against the targets of issue 10
 * (initial sync ≤ 45 s and ≤ 350 MiB; watching ≤ 300 MiB; an edit ≤ 1.2 × the
 * 10-file case).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService } from './support/service.js';
import { loadNote, median } from './support/stats.js';
import { parseWatchCases, runWatchCase, type WatchCaseResult } from './support/watchCase.js';

const BENCH_DIR = process.env.NETDISK_BENCH_DIR ?? tmpdir();
const CASES = parseWatchCases(process.env.NETDISK_BENCH_SCALE_FILES ?? '10,100000,100000:flat');
const EDITS = Number(process.env.NETDISK_BENCH_EDITS ?? 5);
const verdict = (ok: boolean) => (ok ? 'OK' : 'OVER');

const work = mkdtempSync(join(BENCH_DIR, 'netdisk-bench-scale-'));
const service = await spawnService(work);
try {
  const results: WatchCaseResult[] = [];
  for (const watchCase of CASES) {
    console.log(`${watchCase.label} (0-4 KiB each), ${loadNote()}`);
    const r = await runWatchCase(service.url, work, watchCase, EDITS);
    results.push(r);
    const { files } = watchCase;
    const edit = median(r.latenciesMs);
    const ratio = edit / median(results[0]!.latenciesMs);
    console.log(`  initial sync: ${r.initialSyncSeconds.toFixed(1)} s (${(files / r.initialSyncSeconds).toFixed(0)} files/s), peak RSS ${r.initialSyncPeakRssMiB.toFixed(0)} MiB `
      + `(${verdict(r.initialSyncSeconds <= 45)} ≤ 45 s, ${verdict(r.initialSyncPeakRssMiB <= 350)} ≤ 350 MiB)`);
    console.log(`  watching: edit → change feed median ${edit.toFixed(0)} ms (edits: ${r.latenciesMs.map((v) => v.toFixed(0)).join(', ')}), `
      + `ratio to ${results[0]!.case.files} files ${ratio.toFixed(2)} (${verdict(ratio <= 1.2)} ≤ 1.2); `
      + `peak RSS ${r.watchingPeakRssMiB.toFixed(0)} MiB (${verdict(r.watchingPeakRssMiB <= 300)} ≤ 300 MiB); ${loadNote()}`);
  }
  console.log(`after: ${loadNote()}`);
} finally {
  await service.stop();
  rmSync(work, { recursive: true, force: true });
}
