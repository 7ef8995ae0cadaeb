import type { Page } from '@playwright/test';
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
