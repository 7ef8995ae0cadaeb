import type { Snapshot } from '../../protocol/bridge.js';
import { serveFixedSnapshot } from './fixedSnapshot.js';
import { expect, test } from './fixtures.js';

const ROWS = 10_000;

/**
 * The renderer served by netdisk-sync --ui, but with a desktop-style bridge
 * (window.netdisk, as the preload provides) whose snapshot holds 10,000
 * queued transfers: more than a test can queue through the engine quickly.
 */
test('10,000 queued transfers: only the rows in view are in the page, and scrolling reaches the last', async ({ page, world, ui }) => {
  const snapshot: Snapshot = {
    shell: 'desktop',
    session: { state: 'signed_in', username: 'many', reason: null },
    engine: { state: 'syncing' },
    progress: { filesTotal: ROWS, filesDone: 0, bytesTotal: ROWS * 1_000_000, bytesDone: 40_000_000, rate: 5_000_000, eta: 1992 },
    transfers: Array.from({ length: ROWS }, (_, i) => ({
      id: String(i), direction: i % 3 === 0 ? 'download' as const : 'upload' as const, path: `/batch/file-${String(i).padStart(5, '0')}.dat`,
      size: 1_000_000, bytesDone: i < 40 ? 1_000_000 - i * 20_000 : 0, rate: i < 40 ? 125_000 : 0, eta: i < 40 ? 4 : null,
      state: i < 40 ? 'active' as const : 'queued' as const,
    })),
    activity: [], issues: [], conflicts: [], massDelete: null,
    settings: { folder: '/home/many/Netdisk', server: world.serverUrl, uploadLimit: 0, downloadLimit: 0, concurrency: 4, ignoreRules: '', startAtLogin: false, language: 'en' },
    providers: [],
    capabilities: { changeLocation: false, builtInService: false },
    usesBuiltInService: false,
  };
  await serveFixedSnapshot(page, snapshot);
  await page.goto(ui.origin);

  await expect(page.getByRole('heading', { name: `Transfers (${ROWS})` })).toBeVisible();
  const rows = page.locator('.virtual-row');
  await expect(rows.first()).toContainText('file-00000.dat');
  expect(await rows.count()).toBeLessThan(60);

  const list = page.getByRole('list', { name: `Transfers (${ROWS})` });
  await expect(list).toHaveCSS('height', `${ROWS * 56}px`);
  const viewport = page.locator('.virtual-viewport');
  await viewport.focus();
  await page.keyboard.press('End');
  await expect(page.locator('.transfer[data-path="/batch/file-09999.dat"]')).toBeVisible();
  expect(await rows.count()).toBeLessThan(60);
  await expect(page.locator('.transfer[data-path="/batch/file-00000.dat"]')).toHaveCount(0);
});
