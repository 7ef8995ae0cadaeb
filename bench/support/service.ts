import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/bench/support/ (where benchmarks run). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface SpawnedService {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now: the service needs a fixed one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** Waits until `url` answers 2xx, or `process` exits. */
export async function waitUntilUp(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it answered`);
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not answer at ${url}`);
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/**
 * `bin/netdisk-server.js` in its own process on 127.0.0.1, with a fresh data
 * folder under `parentDir`, as a user would run it. `nodeArgs` (e.g.
 * `--cpu-prof`) are for profiling.
 */
export async function spawnService(parentDir: string, nodeArgs: readonly string[] = []): Promise<SpawnedService> {
  const dataDir = mkdtempSync(join(parentDir, 'service-'));
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'bin/netdisk-server.js'), '--host', '127.0.0.1', '--port', String(port), '--data', dataDir],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NETDISK_LOG_LEVEL: 'warn' } });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(`${url}/api/v1/health`, child, 'netdisk-server');
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    url,
    dataDir,
    stop: async () => {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers a fresh account; the sync process signs in with it. Tried once
 * more when the connection was dropped before an answer: after minutes of
 * writing a 100,000-file folder, fetch reused a keep-alive connection the
 * service had just closed ("other side closed"), which ended a bench run.
 */
export async function registerUser(url: string, username: string, password: string, attempt = 1): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  } catch (error) {
    const code = ((error as { cause?: { code?: unknown } }).cause)?.code;
    if (attempt === 1 && code === 'UND_ERR_SOCKET') return registerUser(url, username, password, 2);
    throw error;
  }
  if (!response.ok) throw new Error(`register answered ${response.status}: ${await response.text()}`);
}
