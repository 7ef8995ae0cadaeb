import type { Page } from '@playwright/test';
import type { Snapshot } from '../../protocol/bridge.js';

/**
 * Before the page loads, gives it a desktop-style bridge (window.netdisk, as
 * the preload provides) that serves `snapshot` and refuses every command: for
 * states a test cannot make the engine hold still (10,000 transfers, a failed
 * one beside an active one).
 */
export async function serveFixedSnapshot(page: Page, snapshot: Snapshot): Promise<void> {
  await page.addInitScript((fixed: Snapshot) => {
    const refuse = () => Promise.reject(Object.assign(new Error('not in this test'), { code: 'not_supported' }));
    (globalThis as Record<string, unknown>).netdisk = new Proxy({}, {
      get: (_target, name) => (name === 'getSnapshot' ? () => Promise.resolve(fixed) : name === 'on' ? () => () => {} : refuse),
    });
  }, snapshot);
}
