import { expect, shots, test } from './fixtures.js';
import { TEST_PASSWORD } from './uiHarness.js';

test('signs in with a password from the sign-in screen and lands on the overview', async ({ page, world, ui }) => {
  // The strict CSP (no inline script or style) must not block anything the UI does.
  const consoleErrors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  await page.goto(ui.url);
  await expect(page.getByRole('heading', { name: 'Sign in to your netdisk' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign in with QQ' })).toBeVisible();
  // The token left the address bar as soon as the page took it.
  expect(page.url()).not.toContain('token=');
  await page.screenshot({ path: `${shots}/sign-in.png` });

  await page.getByLabel('Username').fill(world.username);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('The username or password is wrong.');
  await expect(alert).toContainText('Check both and try again.');
  await expect(alert).not.toContainText(/at \w+ \(|Error:/);
  await page.screenshot({ path: `${shots}/sign-in-error.png` });

  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();
  await expect(page.getByText(`Signed in as ${world.username}`)).toBeVisible();
  await expect(page.locator('.engine-state')).toHaveText('Up to date');
  await page.screenshot({ path: `${shots}/overview-idle.png` });

  // The session belongs to the sync client, not the page: a new page is signed in too.
  const again = await page.context().newPage();
  await again.goto(ui.url);
  await expect(again.getByText(`Signed in as ${world.username}`)).toBeVisible();

  expect(consoleErrors.filter((text) => /Content.Security.Policy/i.test(text))).toEqual([]);

  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByText('netdisk-sync on')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to your netdisk' })).toBeVisible();
});

test('a refused sign-in is told in the page\'s language: the service\'s English sentence only in English', async ({ browser, world, ui }) => {
  for (const [locale, headline, next] of [
    ['en-US', 'The username or password is wrong.', 'Check both and try again.'],
    ['zh-CN', '用户名或密码错误。', '请检查后重试。'],
  ] as const) {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(ui.url);
    await page.locator('#username').fill(world.username);
    await page.locator('#password').fill('not the password');
    await page.locator('#password').press('Enter');
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(headline);
    await expect(alert).toContainText(next);
    if (locale === 'en-US') {
      // The service's own sentence (server/auth/routes.ts) as the detail line.
      await expect(alert.locator('.notice-detail')).toContainText('wrong username or password');
    } else {
      await expect(alert.locator('.notice-detail')).toHaveCount(0);
      expect(await alert.innerText()).not.toMatch(/[A-Za-z]{2,}/);
      await page.screenshot({ path: `${shots}/sign-in-error-zh-CN.png` });
    }
    await context.close();
  }
});
