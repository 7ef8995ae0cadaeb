import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signUp, TEST_PASSWORD, type SignedUpUser } from '../helpers/accounts.js';
import { freePort } from '../helpers/ports.js';

/**
 * Real processes for the UI tests: `netdisk-server` and `netdisk-sync --ui`
 * from dist/ (npm run build), over loopback, in a fresh temp folder that
 * `cleanup` removes with everything running in it.
 */

export { TEST_PASSWORD };

interface Running {
  process: ChildProcess;
  output: () => string;
}

function start(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return { process: child, output: () => output };
}

async function waitFor<T>(running: Running, find: () => T | null | Promise<T | null>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const found = await find();
    if (found !== null) return found;
    if (running.process.exitCode !== null) throw new Error(`${what}: the process exited (${running.process.exitCode}):\n${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen; output so far:\n${running.output()}`);
}

async function stop(running: Running): Promise<void> {
  const child = running.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

export interface SyncUi {
  /** http://127.0.0.1:PORT/#token=… as printed. */
  url: string;
  /** The same address without the token. */
  origin: string;
  output: () => string;
  stop: () => Promise<void>;
}

export class UiWorld {
  readonly root = mkdtempSync(join(tmpdir(), 'netdisk-ui-'));
  readonly folder = join(this.root, 'folder');
  serverUrl = '';
  user: SignedUpUser | null = null;
  private readonly running: Running[] = [];
  /** Keeps the trash and any keyring files inside the temp folder. */
  private readonly env: NodeJS.ProcessEnv = { XDG_DATA_HOME: join(this.root, 'xdg-data'), XDG_CONFIG_HOME: join(this.root, 'xdg-config') };

  constructor() {
    mkdirSync(this.folder);
  }

  get api(): string {
    return `${this.serverUrl}/api/v1`;
  }

  /** `env` gets the service's address before it starts, e.g. to register an OAuth callback with a provider. */
  async startService(env: (serverUrl: string) => NodeJS.ProcessEnv = () => ({})): Promise<void> {
    const started = await this.launchService('data', env);
    this.serverUrl = started.serverUrl;
    this.user = started.user;
  }

  /** Another service with its own data and one signed-up user, e.g. to move the sync to. */
  startOtherService(): Promise<{ serverUrl: string; user: SignedUpUser }> {
    return this.launchService('other-data', () => ({}));
  }

  private async launchService(dataName: string, env: (serverUrl: string) => NodeJS.ProcessEnv): Promise<{ serverUrl: string; user: SignedUpUser }> {
    const port = await freePort();
    const serverUrl = `http://127.0.0.1:${port}`;
    const server = start(['bin/netdisk-server.js', '--port', String(port), '--data', join(this.root, dataName), '--log-level', 'warn'], {
      ...this.env, NETDISK_JWT_SECRET: randomBytes(32).toString('hex'), ...env(serverUrl),
    });
    this.running.push(server);
    await waitFor(server, async () => {
      const ok = await fetch(`${serverUrl}/api/v1/health`).then((r) => r.ok, () => false);
      return ok ? true : null;
    }, 'netdisk-server answering /health');
    return { serverUrl, user: await signUp(`${serverUrl}/api/v1`) };
  }

  get username(): string {
    if (!this.user) throw new Error('startService() first');
    return this.user.user.username;
  }

  /** `netdisk-sync --ui 127.0.0.1:0` on the world's folder; resolves once the address is printed. */
  async startUi(extraArgs: string[] = []): Promise<SyncUi> {
    const running = start(['bin/netdisk-sync.js', '--ui', '127.0.0.1:0', '--server', this.serverUrl, '--folder', this.folder, '--json', ...extraArgs], this.env);
    this.running.push(running);
    const url = await waitFor(running, () => /netdisk-sync UI: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(running.output())?.[1] ?? null, 'the UI address');
    return { url, origin: new URL(url).origin, output: running.output, stop: () => stop(running) };
  }

  /** One `netdisk-sync --once` run with a password sign-in, as a script would run it. */
  async syncOnce(): Promise<string> {
    const running = start(['bin/netdisk-sync.js', '--once', '--server', this.serverUrl, '--folder', this.folder, '--username', this.username],
      { ...this.env, NETDISK_PASSWORD: TEST_PASSWORD });
    this.running.push(running);
    await waitFor(running, () => (running.process.exitCode === null ? null : true), 'netdisk-sync --once finishing');
    if (running.process.exitCode !== 0) throw new Error(`netdisk-sync --once exited ${running.process.exitCode}:\n${running.output()}`);
    return running.output();
  }

  async cleanup(): Promise<void> {
    for (const running of this.running.reverse()) await stop(running);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A file of random bytes (so the service cannot have its content already), written in 8 MiB pieces. */
export function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += 8 * 1024 * 1024) writeSync(fd, randomBytes(Math.min(8 * 1024 * 1024, bytes - written)));
  } finally {
    closeSync(fd);
  }
}
