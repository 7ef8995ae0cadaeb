import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { SyncOnceReport } from './syncOnceChild.js';

const CHILD = fileURLToPath(new URL('./syncOnceChild.js', import.meta.url));

export interface SyncRun extends SyncOnceReport {
  /** Spawn to exit, seen from outside: what a user waits for. */
  wallSeconds: number;
}

export interface SyncTarget {
  server: string;
  folder: string;
  stateDir: string;
  username: string;
}

async function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<{ out: string; wallSeconds: number }> {
  const start = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => { out += text; });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const wallSeconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`the sync process exited with ${code}`);
  return { out, wallSeconds };
}

/** Signs the folder's client in once (stores the refresh token in its state dir). */
export async function signInFolder(target: SyncTarget, password: string): Promise<void> {
  await runChild([CHILD, target.server, target.folder, target.stateDir, target.username, '--login'], { ...process.env, NETDISK_PASSWORD: password });
}

/** Runs one `syncOnce` in a fresh Node process and fails unless it converged without failures. */
export async function syncInChildProcess(target: SyncTarget, nodeArgs: string[] = []): Promise<SyncRun> {
  const { out, wallSeconds } = await runChild([...nodeArgs, CHILD, target.server, target.folder, target.stateDir, target.username], process.env);
  const report = JSON.parse(out.trim().split('\n').pop() ?? '') as SyncOnceReport;
  if (!report.converged || report.failures > 0) throw new Error(`the sync did not converge cleanly: ${JSON.stringify(report)}`);
  return { ...report, wallSeconds };
}
