import type { Page } from '@playwright/test';
import { uploadFile } from '../helpers/uploads.js';
import { signInThroughPage } from './signInPage.js';
import { expect, test } from './fixtures.js';

/** Counts the bridge calls of `command` the page sends over its WebSocket. */
function countCalls(page: Page, command: string): () => number {
  let calls = 0;
  page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => {
    if (typeof payload === 'string' && (JSON.parse(payload) as { command?: string }).command === command) calls += 1;
  }));
  return () => calls;
}

test('Pause and Resume from the keyboard: focus stays on the button, so the second Enter resumes', async ({ page, world, ui }) => {
  await signInThroughPage(page, ui.url, world.username);
  const pause = page.getByRole('button', { name: 'Pause syncing' });
  await pause.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('.engine-state')).toHaveText('Paused');
  const resume = page.getByRole('button', { name: 'Resume syncing' });
  await expect(resume).toBeFocused();
  await expect(resume).not.toHaveAttribute('aria-disabled');

  await page.keyboard.press('Enter');
  await expect(page.locator('.engine-state')).not.toHaveText('Paused');
  await expect(page.getByRole('button', { name: 'Pause syncing' })).toBeFocused();
});

test('Sign in from the keyboard: after a refused password the button keeps focus, and the next Enter tries again', async ({ page, world, ui }) => {
  const signIns = countCalls(page, 'signInWithPassword');
  await page.goto(ui.url);
  await page.getByLabel('Username').fill(world.username);
  await page.getByLabel('Password').fill('not the password');
  const button = page.getByRole('button', { name: 'Sign in', exact: true });
  await button.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('alert')).toContainText('The username or password is wrong.');
  await expect(button).toBeFocused();
  expect(signIns()).toBe(1);

  await page.keyboard.press('Enter');
  await expect.poll(signIns).toBe(2);
  await expect(page.getByRole('alert')).toContainText('The username or password is wrong.');
  await expect(button).toBeFocused();
});

test('Share links from the keyboard: Create keeps focus, Dismiss gives it back, and a revoked link takes it from its vanished button', async ({ page, world, ui }) => {
  await uploadFile(world.api, world.user!.auth, '/doc.txt', new TextEncoder().encode('shared'));
  await signInThroughPage(page, ui.url, world.username);
  await page.getByRole('button', { name: 'Share links' }).click();
  const path = page.getByLabel('File or folder in your netdisk');
  const create = page.getByRole('button', { name: 'Create share link' });

  await path.fill('/not-there.txt');
  await create.focus();
  await page.keyboard.press('Enter');
  const refusal = page.locator('.settings-form [role="alert"]');
  await expect(refusal).toBeVisible();
  await expect(create).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(refusal.getByRole('button', { name: 'Dismiss' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(refusal).toBeHidden();
  await expect(create).toBeFocused();

  await path.fill('/doc.txt');
  await create.focus();
  await page.keyboard.press('Enter');
  const item = page.locator('.share', { hasText: '/doc.txt' });
  await expect(item).toContainText('Active');
  await expect(create).toBeFocused();

  await item.getByRole('button', { name: 'Revoke' }).focus();
  await page.keyboard.press('Enter');
  await expect(item).toContainText('Revoked');
  await expect(item.getByRole('button')).toHaveCount(0);
  await expect(item).toBeFocused();
});

test.describe('with two previous versions kept per file', () => {
  test.use({ serviceEnv: async ({}, use) => use(() => ({ NETDISK_MAX_VERSIONS: '2' })) });

  test('Restore from the keyboard: when the restore prunes the very version restored, focus goes to the dialog\'s status, not the page', async ({ page, world, ui }) => {
    const auth = world.user!.auth;
    for (const text of ['one', 'two', 'three', 'four']) await uploadFile(world.api, auth, '/v.txt', new TextEncoder().encode(text));
    await signInThroughPage(page, ui.url, world.username);
    await page.getByRole('button', { name: 'Activity' }).click();
    // The sync client downloads the file: its activity item opens the history.
    await page.locator('.activity-item', { hasText: '/v.txt' }).first().getByRole('button', { name: 'Version history of /v.txt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Version history' });
    const rows = dialog.locator('tbody tr');
    await expect(rows).toHaveCount(3);

    // The oldest kept version: restoring it makes it current, and the replaced one pushes its old row out.
    await rows.nth(2).getByRole('button').focus();
    await page.keyboard.press('Enter');
    const status = dialog.getByRole('status');
    await expect(status).toHaveText('Restored. This computer downloads it at the next sync.');
    await expect(rows).toHaveCount(3);
    await expect(status).toBeFocused();
    // And from there the keyboard still works: Escape closes the dialog.
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
  });
});
