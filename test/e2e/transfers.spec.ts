import { join } from 'node:path';
import { signInThroughPage } from './signInPage.js';
import { expect, shots, test } from './fixtures.js';
import { writeRandomFile } from './uiHarness.js';

const MB = 1024 * 1024;

test('a large upload\'s progress bar moves; pause and resume from the UI; it completes', async ({ page, world }) => {
  writeRandomFile(join(world.folder, 'big.bin'), 200 * MB);
  for (const name of ['photos.zip', 'notes.pdf', 'slides.key']) writeRandomFile(join(world.folder, name), 16 * MB);
  // 20 MB/s: slow enough to watch, fast enough for a test.
  const ui = await world.startUi(['--upload-limit', '20000']);
  await signInThroughPage(page, ui.url, world.username);

  const row = page.locator('.transfer[data-path="/big.bin"]');
  const bar = row.getByRole('progressbar', { name: 'Progress of big.bin' });
  await expect(bar).toBeVisible();
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(0);
  const seen = Number(await bar.getAttribute('aria-valuenow'));
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(seen);
  await expect(page.locator('.engine-state')).toHaveText('Syncing');
  await page.screenshot({ path: `${shots}/overview-uploading.png` });

  await page.getByRole('button', { name: 'Pause syncing' }).click();
  await expect(page.locator('.engine-state')).toHaveText('Paused');
  await expect(page.getByRole('button', { name: 'Resume syncing' })).toBeVisible();
  const pausedAt = Number(await bar.getAttribute('aria-valuenow'));
  expect(pausedAt).toBeLessThan(100);
  await page.screenshot({ path: `${shots}/overview-paused.png` });

  await page.getByRole('button', { name: 'Resume syncing' }).click();
  await expect(page.locator('.engine-state')).not.toHaveText('Paused');
  await expect(page.locator('.engine-state')).toHaveText('Up to date', { timeout: 90_000 });

  await page.getByRole('button', { name: 'Activity' }).click();
  await expect(page.locator('.activity-item', { hasText: '/big.bin' })).toContainText('Uploaded');
  await page.screenshot({ path: `${shots}/activity.png` });

  // The limit given as a flag is what Settings shows.
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByLabel('Upload limit (kB/s, 0 = none)')).toHaveValue('20000');

  const meta = await fetch(`${world.api}/files/meta?path=${encodeURIComponent('/big.bin')}`, { headers: world.user!.auth });
  expect(meta.status).toBe(200);
  expect(((await meta.json()) as { entry: { size: number } }).entry.size).toBe(200 * MB);
});
