/**
 * Restart with no changes over 100,000 files: the folder is synced once,
 * then a fresh process resumes on the same folder and state and runs
 * `syncOnce`; it should cost a stat walk, not a hash walk. Prints the time
 * (spawn to exit) and the peak RSS of that process, against a plain stat
 * walk of the same folder by find(1) in the same run. The service's data goes
 * to /dev/shm when there is one (only the setup writes it); the synced folder
 * lives in NETDISK_BENCH_DIR (default: the OS temp folder).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { registerUser, spawnService } from './support/service.js';
import { fmtSeconds, loadNote, median } from './support/stats.js';
import { signInFolder, syncInChildProcess, type SyncRun } from './support/syncProcess.js';
import { writeSmallFiles } from './support/tree.js';

const BENCH_DIR = process.env.NETDISK_BENCH_DIR ?? tmpdir();
const SERVICE_DIR = existsSync('/dev/shm') ? '/dev/shm' : BENCH_DIR;
const RUNS = Number(process.env.NETDISK_BENCH_RUNS ?? 3);
const FILES = 100_000;
const PASSWORD = 'bench password 1234';
const TARGET_SECONDS = 30;
const TARGET_RSS_MIB = 300;

/** Wall seconds of a shell pipeline. */
function timeShell(command: string): number {
  const start = performance.now();
  execFileSync('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - start) / 1000;
}

const work = mkdtempSync(join(BENCH_DIR, 'netdisk-bench-restart-'));
const service = await spawnService(SERVICE_DIR);
try {
  const folder = join(work, 'folder');
  const stateDir = join(work, 'state');
  mkdirSync(folder);
  let start = performance.now();
  writeSmallFiles(folder, FILES, 0, 4096, 1000);
  console.log(`setup: ${FILES} files of 0-4 KiB in ${FILES / 1000} folders written in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  await registerUser(service.url, 'restart-bench', PASSWORD);
  const target = { server: service.url, folder, stateDir, username: 'restart-bench' };
  await signInFolder(target, PASSWORD);
  start = performance.now();
  const first = await syncInChildProcess(target);
  console.log(`setup: initial sync in ${first.wallSeconds.toFixed(1)} s (${first.rounds} rounds, peak RSS ${first.maxRssMiB.toFixed(0)} MiB)`);

  const count = Number(execFileSync('sh', ['-c', `find '${folder}' -type f | wc -l`], { encoding: 'utf8' }).trim());
  if (count !== FILES) throw new Error(`expected ${FILES} files, find saw ${count}`);
  const countWalks: number[] = [];
  const statWalks: number[] = [];
  const restarts: SyncRun[] = [];
  console.log(`restart with no changes over ${FILES} files, ${RUNS} runs each, folder in ${BENCH_DIR}, ${loadNote()}`);
  for (let run = 0; run < RUNS; run++) {
    countWalks.push(timeShell(`find '${folder}' -type f | wc -l`));
    statWalks.push(timeShell(`find '${folder}' -printf '%s %T@\\n' > /dev/null`));
    restarts.push(await syncInChildProcess(target));
  }
  const walls = restarts.map((r) => r.wallSeconds);
  const rss = restarts.map((r) => r.maxRssMiB);
  const ratio = median(walls) / median(statWalks);
  console.log(`find -type f | wc -l: ${fmtSeconds(countWalks)}`);
  console.log(`find -printf '%s %T@' (stat walk): ${fmtSeconds(statWalks)}`);
  console.log(`netdisk-sync restart (fresh process, syncOnce, spawn to exit): ${fmtSeconds(walls)}; in syncOnce: median ${median(restarts.map((r) => r.syncSeconds)).toFixed(2)} s`);
  console.log(`netdisk-sync peak RSS: max ${Math.max(...rss).toFixed(0)} MiB (runs: ${rss.map((r) => r.toFixed(0)).join(', ')})`);
  console.log(`ratio restart/stat walk (median) ${ratio.toFixed(1)}; restart ${median(walls) <= TARGET_SECONDS ? 'OK' : 'SLOW'} (target < ${TARGET_SECONDS} s), RSS ${Math.max(...rss) <= TARGET_RSS_MIB ? 'OK' : 'HIGH'} (target < ${TARGET_RSS_MIB} MiB)`);
  console.log(`after: ${loadNote()}`);
} finally {
  await service.stop();
  rmSync(work, { recursive: true, force: true });
}
