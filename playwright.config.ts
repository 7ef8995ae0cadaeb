import { defineConfig } from '@playwright/test';

// Debian's Chromium, no browser download. Two workers: each test runs a
// service, a sync client and a browser, and spends most of its time waiting
// on them; more than two would starve the two cores the machine has.
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  workers: 2,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  outputDir: 'test-results/playwright',
  reporter: 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    locale: 'en-US',
    colorScheme: 'light',
    viewport: { width: 1200, height: 800 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
});
