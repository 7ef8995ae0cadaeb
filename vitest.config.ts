import { defineConfig } from 'vitest/config';

const EXCLUDE = ['dist/**', 'node_modules/**'];

export default defineConfig({
  test: {
    pool: 'forks',
    // Vitest's default on two cores is one worker, and most suites wait on
    // servers, child processes and disks rather than compute: a second
    // worker keeps the other core busy. More starve the CPU-bound suites
    // (memory-hard password hashing, 300 MB crash files) past their timeouts.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Ceph RGW for the S3 suites and PostgreSQL for the service suites' PostgreSQL run:
    // each started by the first file that needs it, stopped after the run.
    globalSetup: ['test/helpers/daemonsGlobalSetup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['{protocol,server,app,native-workers,main,renderer,test}/**/*.test.ts'], exclude: EXCLUDE },
      },
      {
        // The service suites again with the metadata on PostgreSQL (NETDISK_DATABASE_URL): each test
        // service gets a fresh database in the run's one PostgreSQL server (test/helpers/testDatabase.ts).
        extends: true,
        test: {
          name: 'postgres',
          include: ['server/**/*.test.ts'],
          exclude: EXCLUDE,
          env: { NETDISK_TEST_DATABASE: 'postgres' },
        },
      },
    ],
  },
});
