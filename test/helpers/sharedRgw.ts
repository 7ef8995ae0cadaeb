import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { startRgw, type RgwInfo } from './rgw.js';

const WAIT_MS = 120_000;

/**
 * The run's one RGW, started by whichever test file asks first (test files
 * run in separate processes: a lock folder decides who starts it, the others
 * wait for its record). rgwGlobalSetup.ts stops it after the run.
 */
export async function sharedRgw(): Promise<RgwInfo> {
  const dir = inject('rgwStateDir');
  const state = join(dir, 'rgw.json');
  const failed = join(dir, 'failed');
  let starter = true;
  try {
    mkdirSync(join(dir, 'lock'));
  } catch {
    starter = false;
  }
  if (starter) {
    try {
      const info = await startRgw();
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
    if (existsSync(failed)) throw new Error(`RGW failed to start: ${readFileSync(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error('RGW did not start in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return JSON.parse(readFileSync(state, 'utf8')) as RgwInfo;
}
