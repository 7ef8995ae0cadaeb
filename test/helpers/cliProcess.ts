import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

