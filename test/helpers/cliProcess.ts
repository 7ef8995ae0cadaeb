import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signUp, TEST_PASSWORD, type SignedUpUser } from './accounts.js';
import { startTestServer, type TestServer } from './testServer.js';

const CLI = fileURLToPath(new URL('../../bin/netdisk-sync.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `netdisk-sync` (compiled: needs `npx tsc -b`) as a child process. No keychain is reachable (a dead D-Bus
 * address), so secrets go to the 0600 file in the state folder, and no display
 * is set, so nothing but the printed address could open a browser.
 * `onStderr` sees stderr as it grows.
 */
export function cli(args: string[], onStderr?: (text: string) => void): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', DISPLAY: '', WAYLAND_DISPLAY: '' };
  delete env.NETDISK_PASSWORD;
  delete env.NETDISK_SERVER;
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(stderr);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}


export interface CliAccount {
  server: TestServer;
  user: SignedUpUser;
  /** A fresh sync folder the CLI signed `user` in for. */
  folder: string;
  /** `--server URL --folder DIR`, for every command of that account. */
  flags(): string[];
  close(): Promise<void>;
}

/** The real service, a user, and a sync folder `netdisk-sync login` signed that user in for (with a password). */
export async function signedInCli(prefix: string): Promise<CliAccount> {
  const server = await startTestServer();
  const user = await signUp(server.api);
  const folder = mkdtempSync(join(tmpdir(), prefix));
  const flags = () => ['--server', server.url, '--folder', folder];
  const login = await cli(['login', ...flags(), '--username', user.user.username, '--password', TEST_PASSWORD]);
  if (login.code !== 0) throw new Error(`login exited ${login.code}: ${login.stderr}`);
  return {
    server, user, folder, flags,
    close: async () => {
      await server.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
