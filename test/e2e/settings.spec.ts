import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signInThroughPage } from './signInPage.js';
import { expect, shots, test } from './fixtures.js';

test('settings persist across a restart of netdisk-sync, and the UI switches to Chinese', async ({ page, world, ui }) => {
  await signInThroughPage(page, ui.url, world.username);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByLabel('Sync folder')).toHaveValue(world.folder);
  await expect(page.getByText('(this device)')).toBeVisible();
  await page.screenshot({ path: `${shots}/settings.png`, fullPage: true });

  await page.getByLabel('Upload limit (kB/s, 0 = none)').fill('250');
  await page.getByLabel('Download limit (kB/s, 0 = none)').fill('1500');
  await page.getByLabel('Files transferred at once').fill('2');
  await page.getByLabel(/Ignore rules/).fill('*.tmp\nbuild/\n');
  await page.getByLabel('Language').selectOption('zh-CN');
  await page.getByRole('button', { name: 'Save settings' }).click();
  // Saved, and the page speaks Chinese at once.
  await expect(page.getByText('设置已保存。')).toBeVisible();
  await expect(page.getByRole('heading', { name: '设置' })).toBeVisible();
  expect(readFileSync(join(world.folder, '.netdiskignore'), 'utf8')).toBe('*.tmp\nbuild/\n');
  // The limits are stored in bytes per second, as before kB/s became the one unit: 1 kB = 1000 bytes.
  const stored = JSON.parse(readFileSync(join(world.folder, '.netdisk-sync', 'settings.json'), 'utf8')) as { uploadLimit: number; downloadLimit: number };
  expect([stored.uploadLimit, stored.downloadLimit]).toEqual([250_000, 1_500_000]);

  await ui.stop();
  const second = await world.startUi();
  await page.goto(second.url);
  await page.getByRole('button', { name: '设置' }).click();
  await expect(page.getByLabel('上传限速（kB/秒，0 = 不限）')).toHaveValue('250');
  await expect(page.getByLabel('下载限速（kB/秒，0 = 不限）')).toHaveValue('1500');
  await expect(page.getByLabel('同时传输的文件数')).toHaveValue('2');
  await expect(page.getByLabel('语言')).toHaveValue('zh-CN');
  await expect(page.getByLabel(/忽略规则/)).toHaveValue('*.tmp\nbuild/\n');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await page.screenshot({ path: `${shots}/settings-zh-CN.png`, fullPage: true });
  await page.getByRole('button', { name: '概览' }).click();
  await expect(page.locator('.engine-state')).toHaveText('已是最新');
  await page.screenshot({ path: `${shots}/overview-zh-CN.png` });
});

test('with no language chosen the page follows the browser: English and Chinese both render', async ({ browser, ui }) => {
  for (const [locale, heading, button] of [['en-US', 'Sign in to your netdisk', 'Sign in with QQ'], ['zh-CN', '登录网盘', '使用 QQ 登录']] as const) {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(ui.url);
    await expect(page.getByRole('heading', { name: heading })).toBeVisible();
    await expect(page.getByRole('button', { name: button })).toBeVisible();
    await page.screenshot({ path: `${shots}/sign-in-${locale}.png` });
    await context.close();
  }
});

test('dark color scheme renders', async ({ browser, world, ui }) => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await signInThroughPage(page, ui.url, world.username);
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(13, 17, 23)');
  await page.screenshot({ path: `${shots}/overview-dark.png` });
  await context.close();
});
