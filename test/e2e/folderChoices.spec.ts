import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonRequest } from '../helpers/jsonRequest.js';
import { expectNoAxeViolations } from './accessibility.js';
import { expect, shots, test } from './fixtures.js';
import { signInThroughPage } from './signInPage.js';
import type { UiWorld } from './uiHarness.js';

/** The service's folder listing of `path`: the names in it. */
async function remoteNames(world: UiWorld, path: string): Promise<string[]> {
  const response = await jsonRequest(world.api, 'GET', `/files?path=${encodeURIComponent(path)}`, { headers: world.user!.auth });
  expect(response.status).toBe(200);
  return (response.body as { entries: Array<{ path: string }> }).entries.map((entry) => entry.path).sort();
}

test('Folders on this computer: untick a folder from the keyboard, its local copy goes and the service keeps it; tick it and it comes back; new folders follow the switch', async ({ page, world }) => {
  mkdirSync(join(world.folder, 'photos', 'trip'), { recursive: true });
  writeFileSync(join(world.folder, 'photos', 'one.jpg'), 'one');
  writeFileSync(join(world.folder, 'photos', 'trip', 'two.jpg'), 'two!');
  mkdirSync(join(world.folder, 'docs'));
  writeFileSync(join(world.folder, 'docs', 'readme.md'), 'read me');
  const ui = await world.startUi();
  await signInThroughPage(page, ui.url, world.username);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Folders on this computer' })).toBeVisible();

  const photos = page.getByRole('checkbox', { name: 'photos' });
  await expect(photos).toBeChecked();
  // Sizes come from the service's tree once the uploads are in it.
  await expect(page.locator('.folder-choice[data-path="/photos"] .folder-detail').first()).toHaveText('7 B, files: 2');
  await expect(page.locator('.folder-choice[data-path="/docs"] .folder-detail')).toHaveText('7 B, files: 1');

  // Expand from the keyboard: the subfolder is loaded on demand.
  const expand = page.getByRole('button', { name: 'Show the folders in photos' });
  await expand.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Hide the folders in photos' })).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('checkbox', { name: 'trip' })).toBeChecked();
  await expectNoAxeViolations(page, 'settings with the folder tree open');

  // Untick from the keyboard: focus stays on the checkbox, the local copy goes (to the trash), the service keeps everything.
  await photos.focus();
  await page.keyboard.press('Space');
  await expect(photos).not.toBeChecked();
  await expect(photos).toBeFocused();
  await expect.poll(() => existsSync(join(world.folder, 'photos')), { timeout: 30_000 }).toBe(false);
  await expect(page.locator('.folder-choice[data-path="/photos"] .folder-detail').first()).toHaveText('7 B, files: 2 · on the netdisk only');
  expect(await remoteNames(world, '/photos')).toEqual(['/photos/one.jpg', '/photos/trip']);
  await page.screenshot({ path: `${shots}/folders-excluded.png`, fullPage: true });

  // Tick it again: it downloads.
  await page.keyboard.press('Space');
  await expect(photos).toBeChecked();
  await expect.poll(() => existsSync(join(world.folder, 'photos', 'trip', 'two.jpg')), { timeout: 30_000 }).toBe(true);
  expect(readFileSync(join(world.folder, 'photos', 'one.jpg'), 'utf8')).toBe('one');

  // "Sync new folders" off: a folder made on the service later stays there.
  const syncNew = page.getByRole('checkbox', { name: 'Sync new folders' });
  await expect(syncNew).toBeChecked();
  await syncNew.focus();
  await page.keyboard.press('Space');
  await expect(syncNew).not.toBeChecked();
  const made = await jsonRequest(world.api, 'POST', '/files/mkdir', { headers: world.user!.auth, body: { path: '/music' } });
  expect(made.status).toBeLessThan(300);
  const music = page.getByRole('checkbox', { name: 'music' });
  await expect(music).not.toBeChecked({ timeout: 30_000 });
  expect(existsSync(join(world.folder, 'music'))).toBe(false);

  // The choices live in the state database: a restart keeps them.
  await ui.stop();
  const second = await world.startUi();
  await page.goto(second.url);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('checkbox', { name: 'music' })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Sync new folders' })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'photos' })).toBeChecked();
});
