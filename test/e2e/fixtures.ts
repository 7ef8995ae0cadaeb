import { test as base } from '@playwright/test';
import { UiWorld, type SyncUi } from './uiHarness.js';

/**
 * The setup every UI test shares, as Playwright fixtures:
 * - `world`: a running `netdisk-server` with one signed-up user and an empty
 *   sync folder, cleaned up (with everything started in it) after the test;
 * - `ui`: `netdisk-sync --ui` on that folder, started when a test asks for it;
 * - `serviceEnv`: extra service environment, overridden by tests that need one.
 */
export const test = base.extend<{ serviceEnv: (serverUrl: string) => NodeJS.ProcessEnv; world: UiWorld; ui: SyncUi }>({
  serviceEnv: async ({}, use) => use(() => ({})),
  world: async ({ serviceEnv }, use) => {
    const world = new UiWorld();
    try {
      await world.startService(serviceEnv);
      await use(world);
    } finally {
      await world.cleanup();
    }
  },
  ui: async ({ world }, use) => use(await world.startUi()),
});

export { expect } from '@playwright/test';

export const shots = 'test-results/screenshots';
