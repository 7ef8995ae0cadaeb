import { inject } from 'vitest';
import { startPostgres, type PostgresInfo } from './postgres.js';
import { sharedDaemon } from './sharedDaemon.js';

/** The run's one PostgreSQL server, started by whichever test file asks first; daemonsGlobalSetup.ts stops it after the run. */
export function sharedPostgres(): Promise<PostgresInfo> {
  return sharedDaemon(inject('postgresStateDir'), 'PostgreSQL', () => startPostgres());
}
