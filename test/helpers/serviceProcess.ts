import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

/** The repository root, found from here whether this runs from source (vitest) or from dist/ (benchmarks). */
const REPO_ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above test/helpers');
    dir = parent;
  }
  return dir;
})();

/** The built service's entry point: needs `npx tsc -b`. */
const SERVER_BIN = join(REPO_ROOT, 'bin/netdisk-server.js');

/** Why the built service cannot be started, or undefined when it can. */
export function serviceBuildMissing(): string | undefined {
  return existsSync(join(REPO_ROOT, 'dist/server/server.js')) ? undefined : 'the service is not built (dist/server/server.js missing): run npx tsc -b';
}

/** Waits until `url` answers below 500, or `child` exits. */
export async function waitUntilUp(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited with ${child.exitCode ?? child.signalCode} before it answered`);
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not answer at ${url}`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Ends `child` with `signal` and waits until it is gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill(signal);
  await gone;
}

export interface ServiceProcessOptions {
  /** The data folder (signing keys, local blobs and staging, the SQLite file): nodes may share one. */
  dataDir: string;
  /** Added to this process's environment: NETDISK_DATABASE_URL, NETDISK_BLOBS and NETDISK_S3_*, NETDISK_PUBLIC_URL, ... */
  env?: NodeJS.ProcessEnv;
  /** A free one when absent. */
  port?: number;
  /** Node flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
  /** Names the node in errors and in its stderr lines. */
  name?: string;
}

export interface ServiceProcess {
  name: string;
  /** http://127.0.0.1:PORT */
  url: string;
  /** `${url}/api/v1` */
  api: string;
  port: number;
  child: ChildProcess;
  /** Its stderr so far: startup failures and Node's own warnings. */
  stderr(): string;
  /** Its log so far (pino's JSON lines on stdout, at `warn` and above). */
  log(): string;
  /** SIGKILL: no graceful close, in-flight requests cut, as in a crash. */
  kill9(): Promise<void>;
  /** SIGTERM: the graceful close an operator's restart does. */
  stop(): Promise<void>;
}

/**
 * `netdisk-server` (the built CLI) in its own process on 127.0.0.1, with the
 * environment given added to this one's. Several such processes on one
 * database and one content store are the nodes of a cluster.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const missing = serviceBuildMissing();
  if (missing) throw new Error(missing);
  const port = options.port ?? await freePort();
  const name = options.name ?? `netdisk-server:${port}`;
  const child = spawn(process.execPath, [...options.nodeArgs ?? [], SERVER_BIN, '--host', '127.0.0.1', '--port', String(port), '--data', options.dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NETDISK_LOG_LEVEL: 'warn',
      // The AWS SDK warns once on Node 20 that its 2027 releases need Node 22: not the service's line.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.env,
    },
  });
  let stderr = '';
  let log = '';
  child.stderr!.on('data', (part: Buffer) => { stderr += part.toString(); });
  child.stdout!.on('data', (part: Buffer) => { log += part.toString(); });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(`${url}/api/v1/health`, child, name);
  } catch (error) {
    await stopChild(child);
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    name,
    url,
    api: `${url}/api/v1`,
    port,
    child,
    stderr: () => stderr,
    log: () => log,
    kill9: () => stopChild(child, 'SIGKILL'),
    stop: () => stopChild(child),
  };
}
