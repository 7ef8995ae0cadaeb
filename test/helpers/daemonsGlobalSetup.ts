import type { TestProject } from 'vitest/node';
import { stopPostgres, type PostgresInfo } from './postgres.js';
import { stopRgw, type RgwInfo } from './rgw.js';
import { sharedDaemonFolder } from './sharedDaemon.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's shared RGW records itself once a test file started it (see sharedRgw.ts). */
    rgwStateDir: string;
    /** The same for the run's shared PostgreSQL server (see sharedPostgres.ts). */
    postgresStateDir: string;
  }
}

/**
 * Vitest global setup: the servers test files share, Ceph RGW (about 11 s to
 * start) and PostgreSQL (about 5 s), each started once per run by the first
 * file that needs it and stopped after the run.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const rgw = sharedDaemonFolder<RgwInfo>(stopRgw);
  const postgres = sharedDaemonFolder<PostgresInfo>(stopPostgres);
  project.provide('rgwStateDir', rgw.dir);
  project.provide('postgresStateDir', postgres.dir);
  return async () => {
    await Promise.all([rgw.teardown(), postgres.teardown()]);
  };
}
