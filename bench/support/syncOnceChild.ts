/**
 * One `syncOnce` in a fresh process, as a restarted client would run it:
 * `node syncOnceChild.js <server> <folder> <stateDir> <username> [--login]`
 * resumes the stored sign-in and syncs once; with `--login` it only signs in
 * (password in NETDISK_PASSWORD) and stores the refresh token, so that the
 * measured run does not include the password KDF. Prints one JSON line: the
 * summary, the seconds spent, and the process's peak RSS.
 */
import { performance } from 'node:perf_hooks';
import { FileCredentialStore } from '../../app/auth/fileCredentialStore.js';
import { preferSmallHeap } from '../../app/base/heapPolicy.js';
import { SyncClient } from '../../app/syncClient.js';

export interface SyncOnceReport {
  converged: boolean;
  failures: number;
  rounds: number;
  /** Open + resume sign-in + syncOnce, inside the process. */
  seconds: number;
  syncSeconds: number;
  maxRssMiB: number;
  /** User + system CPU of the whole process (worker threads included), seconds: steadier than wall time on a shared machine. */
  cpuSeconds: number;
}

const [server, folder, stateDir, username, flag] = process.argv.slice(2);
// As the CLI and the desktop app run the engine (bin/netdisk-sync.js, main/main.ts).
preferSmallHeap();
if (!server || !folder || !stateDir || !username) throw new Error('usage: syncOnceChild <server> <folder> <stateDir> <username> [--login]');

async function syncOnce(client: SyncClient, start: number): Promise<SyncOnceReport> {
  if (!(await client.resume())) throw new Error('no stored sign-in to resume');
  const syncStart = performance.now();
  const summary = await client.engine.syncOnce();
  const syncSeconds = (performance.now() - syncStart) / 1000;
  for (const failure of summary.failures.slice(0, 5)) process.stderr.write(`failed: ${failure.path}: ${failure.code} ${failure.message}\n`);
  return {
    converged: summary.converged,
    failures: summary.failures.length,
    rounds: summary.rounds,
    seconds: (performance.now() - start) / 1000,
    syncSeconds,
    // resourceUsage().maxRSS is in KiB.
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    cpuSeconds: cpuSeconds(process.cpuUsage()),
  };
}

const start = performance.now();
const client = await SyncClient.open({ server, folder, stateDir, warn: () => {}, credentials: new FileCredentialStore(stateDir) });
try {
  if (flag === '--login') await client.login(username, process.env.NETDISK_PASSWORD ?? '');
  else process.stdout.write(`${JSON.stringify(await syncOnce(client, start))}\n`);
} finally {
  await client.close();
}

function cpuSeconds({ user, system }: NodeJS.CpuUsage): number {
  return (user + system) / 1e6;
}
