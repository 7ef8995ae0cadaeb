import { expect, type Page } from '@playwright/test';
import { TEST_PASSWORD } from './uiHarness.js';

/** Opens the UI address and signs in with the password form, as a user would. */
export async function signInThroughPage(page: Page, url: string, username: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();
}
