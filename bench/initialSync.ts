/**
 * Initial sync to a local service, against `rclone copy` to `rclone serve
 * webdav` on loopback: (a) 5,000 files of 1-64 KiB, (b) one 1 GiB file.
 * Each side gets a fresh server and an empty account per run; our client is a
 * fresh process that resumes a stored sign-in and runs `syncOnce` (spawn to
 * exit is timed, as rclone's is). The source folders are read from the page
 * cache by both. NETDISK_BENCH_DIR picks the disk (default: the OS temp
 * folder), NETDISK_BENCH_RUNS the runs per side (default 3),
 * NETDISK_BENCH_CASES which cases run (`many`, `large`, comma-separated;
 * default both), so one case can be measured alone while iterating.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RcloneWebdav } from './support/rclone.js';
import { registerUser, spawnService } from './support/service.js';
import { fmtSeconds, loadNote, median } from './support/stats.js';
import { signInFolder, syncInChildProcess } from './support/syncProcess.js';
import { writeLargeFile, writeSmallFiles } from './support/tree.js';

const BENCH_DIR = process.env.NETDISK_BENCH_DIR ?? tmpdir();
const RUNS = Number(process.env.NETDISK_BENCH_RUNS ?? 3);
const CASES = new Set((process.env.NETDISK_BENCH_CASES ?? 'many,large').split(','));
const PASSWORD = 'bench password 1234';

interface Case {
  key: string;
  name: string;
  folder: string;
  /** Ours must be at most this many times rclone's time. */
  target: number;
}

async function ours(work: string, folder: string, run: number): Promise<number> {
  const service = await spawnService(work);
  const stateDir = mkdtempSync(join(work, 'state-'));
  try {
    const username = `bench${run}`;
    await registerUser(service.url, username, PASSWORD);
    const target = { server: service.url, folder, stateDir, username };
    await signInFolder(target, PASSWORD);
    return (await syncInChildProcess(target)).wallSeconds;
  } finally {
    await service.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function rclone(work: string, folder: string): Promise<number> {
  const server = await RcloneWebdav.start(work);
  try {
    return server.copy(folder);
  } finally {
    await server.stop();
  }
}

const work = mkdtempSync(join(BENCH_DIR, 'netdisk-bench-sync-'));
try {
  const many = join(work, 'many');
  const large = join(work, 'large');
  mkdirSync(many);
  mkdirSync(large);
  const manyBytes = CASES.has('many') ? writeSmallFiles(many, 5000, 1024, 64 * 1024) : 0;
  if (CASES.has('large')) writeLargeFile(join(large, 'large.bin'), 1024 ** 3);
  const cases: Case[] = [
    { key: 'many', name: `5,000 files of 1-64 KiB (${(manyBytes / 1e6).toFixed(0)} MB)`, folder: many, target: 1 },
    { key: 'large', name: 'one 1 GiB file', folder: large, target: 1.2 },
  ].filter((c) => CASES.has(c.key));
  console.log(`initial sync, ${RUNS} runs per side, data in ${BENCH_DIR}, ${loadNote()}`);
  for (const c of cases) {
    const mine: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      theirs.push(await rclone(work, c.folder));
      mine.push(await ours(work, c.folder, run));
    }
    const ratio = median(mine) / median(theirs);
    console.log(`${c.name}: netdisk-sync ${fmtSeconds(mine)}`);
    console.log(`${c.name}: rclone copy -> webdav ${fmtSeconds(theirs)}`);
    console.log(`${c.name}: ratio netdisk-sync/rclone (median) ${ratio.toFixed(2)} (target <= ${c.target.toFixed(2)}) ${ratio <= c.target ? 'OK' : 'SLOWER'}`);
  }
  console.log(`after: ${loadNote()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
