import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopRgw, type RgwInfo } from './rgw.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's shared RGW records itself once a test file started it (see sharedRgw.ts). */
    rgwStateDir: string;
  }
}

/**
 * Vitest global setup: hands every test file one folder in which the first
 * file that needs Ceph RGW starts it (once per run, not per file: it takes
 * about 11 s), and stops it after the run, waiting until its processes are
 * gone. A run that needs no S3 never starts it.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-rgw-run-'));
  project.provide('rgwStateDir', dir);
  return async () => {
    const state = join(dir, 'rgw.json');
    if (existsSync(state)) await stopRgw(JSON.parse(readFileSync(state, 'utf8')) as RgwInfo);
    rmSync(dir, { recursive: true, force: true });
  };
}
