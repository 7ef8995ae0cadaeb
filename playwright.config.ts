import { defineConfig } from '@playwright/test';

// Debian's Chromium, no browser download. One worker: each test runs a
// service and a sync client, and the machine has two cores for everybody.
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  workers: 1,
  fullyParallel: false,
  // The accessibility walks visit every screen in two languages and two schemes: minutes each.
  timeout: 240_000,
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
