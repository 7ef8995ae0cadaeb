import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { download } from '../helpers/uploads.js';
import { expect, shots, test } from './fixtures.js';
import { signInThroughPage } from './signInPage.js';

test.describe.configure({ timeout: 240_000 });

test('version history of a file edited twice: restoring the first version puts its bytes back on the service and on disk', async ({ page, world, ui }) => {
  const local = join(world.folder, 'report.txt');
  const onService = async () => (await download(world.api, world.user!.auth, '/report.txt')).bytes.toString();
  await signInThroughPage(page, ui.url, world.username);
  // Each version is written once the previous one is on the service, so each upload replaces the one before.
  for (const text of ['first version\n', 'second version, edited\n', 'third version, edited again\n']) {
    writeFileSync(local, text);
    await expect.poll(onService, { timeout: 60_000 }).toBe(text);
  }

  await page.getByRole('button', { name: 'Activity' }).click();
  const item = page.locator('.activity-item', { hasText: '/report.txt' }).first();
  const opener = item.getByRole('button', { name: 'Version history of /report.txt' });
  // From the keyboard: the dialog opens, and closing it gives focus back to that very button (newer activity arrives meanwhile).
  const openerTime = await item.locator('time').getAttribute('datetime');
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Version history' });
  await expect(dialog).toBeVisible();
  const rows = dialog.locator('tbody tr');
  await expect(rows).toHaveCount(3);
  const device = `netdisk-sync on ${hostname()}`;
  await expect(rows.nth(0)).toContainText('Current version');
  for (let i = 0; i < 3; i++) await expect(rows.nth(i).locator('td').nth(2)).toHaveText(device);
  await expect(rows.nth(2).locator('td').nth(1)).toHaveText('14 B');
  await page.screenshot({ path: `${shots}/version-history.png` });

  const restoreFirst = rows.nth(2).getByRole('button', { name: /^Restore the version of / });
  await restoreFirst.focus();
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('status')).toHaveText('Restored. This computer downloads it at the next sync.');
  await expect(rows).toHaveCount(4);
  await expect(rows.nth(0)).toContainText('Current version');
  await expect(rows.nth(0).locator('td').nth(1)).toHaveText('14 B');
  expect(await onService()).toBe('first version\n');
  // The sync engine learns of the restore from the change feed, like any edit made elsewhere, and downloads it.
  // (Missing for a moment is no answer yet: a download replaces the file by a rename.)
  await expect.poll(() => (existsSync(local) ? readFileSync(local, 'utf8') : '(missing)'), { timeout: 60_000 }).toBe('first version\n');

  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // A string: this file is compiled without the DOM's types.
  const focusedItemTime = "document.activeElement?.closest('.activity-item')?.querySelector('time')?.getAttribute('datetime') ?? null";
  expect(await page.evaluate(focusedItemTime)).toBe(openerTime);
  expect(await page.evaluate("document.activeElement?.getAttribute('aria-label') ?? null")).toBe('Version history of /report.txt');
});
