import { createDatabase, dropDatabase, postgresMissing } from './postgres.js';
import { sharedPostgres } from './sharedPostgres.js';

/**
 * Which database the test services keep their metadata in: the vitest
 * project `postgres` sets NETDISK_TEST_DATABASE=postgres (vitest.config.ts),
 * and every test service then gets a fresh database in the run's one
 * PostgreSQL server; otherwise SQLite in the service's data folder.
 */
export const testDatabase: 'sqlite' | 'postgres' = process.env.NETDISK_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

if (testDatabase === 'postgres' && postgresMissing()) throw new Error(`the postgres test project needs PostgreSQL: ${postgresMissing()}`);

/** A fresh PostgreSQL database's URL in the postgres run; undefined in the SQLite run. */
export async function freshDatabaseUrl(): Promise<string | undefined> {
  if (testDatabase === 'sqlite') return undefined;
  return createDatabase(await sharedPostgres());
}

export async function dropTestDatabase(url: string | undefined): Promise<void> {
  if (url !== undefined) await dropDatabase(await sharedPostgres(), url);
}
