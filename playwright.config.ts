import { defineConfig } from '@playwright/test';

// Debian's Chromium, no browser download. Two workers, test by test (every
// test starts its own service and sync client): Playwright runs after Vitest,
// so the two cores are its own. On a quiet machine the suite took 7.5 min
// with one worker, 6.2 with two by file (the accessibility file alone is
// 6 min) and 5.9 with two by test; it is CPU-bound, so more would not help.
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  workers: 2,
  fullyParallel: true,
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
