import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WAIT_MS = 120_000;

/**
 * One server (RGW, PostgreSQL) shared by every test file of a run, started by
 * whichever file asks first: test files run in separate processes, so a lock
 * folder in `dir` decides who starts it, and the others wait for its record.
 */
export async function sharedDaemon<T>(dir: string, name: string, start: () => Promise<T>): Promise<T> {
  const state = join(dir, 'state.json');
  const failed = join(dir, 'failed');
  let starter = true;
  try {
    mkdirSync(join(dir, 'lock'));
  } catch {
    starter = false;
  }
  if (starter) {
    try {
      const info = await start();
      writeFileSync(`${state}.tmp`, JSON.stringify(info));
      renameSync(`${state}.tmp`, state);
      return info;
    } catch (error) {
      writeFileSync(failed, String(error));
      throw error;
    }
  }
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(state)) {
    if (existsSync(failed)) throw new Error(`${name} failed to start: ${readFileSync(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`${name} did not start in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return JSON.parse(readFileSync(state, 'utf8')) as T;
}

/**
 * For a vitest global setup: a fresh folder for `sharedDaemon`, and the
 * teardown that stops the server if a test file started one, waiting until
 * it is gone. A run that never asks for the server never starts it.
 */
export function sharedDaemonFolder<T>(stop: (info: T) => Promise<void>): { dir: string; teardown: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-daemon-run-'));
  return {
    dir,
    async teardown() {
      const state = join(dir, 'state.json');
      if (existsSync(state)) await stop(JSON.parse(readFileSync(state, 'utf8')) as T);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
