import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, shots, test } from './fixtures.js';
import { TEST_PASSWORD } from './uiHarness.js';

test('first run: choose another service and folder before signing in; a file in the new folder reaches that service', async ({ page, world, ui }) => {
  const other = await world.startOtherService();
  const newFolder = join(world.root, 'home', 'Netdisk');
  await page.goto(ui.url);

  const step = page.getByRole('form', { name: 'Where to sync' });
  await expect(step.getByLabel('Sync folder')).toHaveValue(world.folder);
  await expect(step.getByLabel('Service address')).toHaveValue(world.serverUrl);
  // The address is checked before anything is sent.
  await step.getByLabel('Service address').fill('ftp://example.com');
  await step.getByRole('button', { name: 'Use this location' }).click();
  await expect(step.getByText('Enter an address that starts with http:// or https://.')).toBeVisible();
  await expect(step.getByLabel('Service address')).toHaveAttribute('aria-invalid', 'true');

  await step.getByLabel('Service address').fill(other.serverUrl);
  await step.getByLabel('Sync folder').fill(newFolder);
  await page.screenshot({ path: `${shots}/first-run.png`, fullPage: true });
  await step.getByRole('button', { name: 'Use this location' }).click();
  // The page reloads with the new place; the sign-in methods follow.
  await expect(step.getByLabel('Sync folder')).toHaveValue(newFolder);
  await expect(step.getByLabel('Service address')).toHaveValue(other.serverUrl);

  await page.getByLabel('Username').fill(other.user.user.username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();

  writeFileSync(join(newFolder, 'moved.txt'), 'synced from the folder chosen at first run');
  await expect.poll(async () => (await fetch(`${other.serverUrl}/api/v1/files/meta?path=%2Fmoved.txt`, { headers: other.user.auth })).status,
    { timeout: 20_000 }).toBe(200);

  // Settings: the place stays editable here, behind a confirmation.
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByLabel('Sync folder')).toHaveValue(newFolder);
  await page.getByLabel('Sync folder').fill(world.folder);
  await page.getByRole('button', { name: 'Use this location' }).click();
  await expect(page.getByRole('alert')).toContainText('restarts the sync there');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('button', { name: 'Use this location' })).toBeEnabled();
});

test('the first-run step refuses a folder inside a sync\'s state folder, and speaks English and Chinese', async ({ browser, world, ui }) => {
  for (const [locale, title, folder, apply, refused] of [
    ['en-US', 'Where to sync', 'Sync folder', 'Use this location', 'That folder is inside the state folder of a sync.'],
    ['zh-CN', '同步位置', '同步文件夹', '使用此位置', '该文件夹位于某个同步的状态文件夹内。'],
  ] as const) {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(ui.url);
    const step = page.getByRole('form', { name: title });
    await expect(step).toBeVisible();
    await step.getByLabel(folder).fill(join(world.folder, '.netdisk-sync', 'inner'));
    await step.getByRole('button', { name: apply }).click();
    await expect(step.getByRole('alert')).toContainText(refused);
    await page.screenshot({ path: `${shots}/first-run-${locale}.png`, fullPage: true });
    await context.close();
  }
});
