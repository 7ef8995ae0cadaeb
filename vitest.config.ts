import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocol,server,app,native-workers,main,renderer,test}/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Ceph RGW for the S3 suites: started by the first file that needs it, stopped after the run.
    globalSetup: ['test/helpers/daemonsGlobalSetup.ts'],
  },
});
