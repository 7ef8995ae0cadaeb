import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { jsonRequest } from '../helpers/jsonRequest.js';
import { uploadFile } from '../helpers/uploads.js';
import { expect, shots, test } from './fixtures.js';
import { createShare } from './shareLinks.js';
import { signInThroughPage } from './signInPage.js';

/** A browser context of its own: no cookie, no storage, nothing of the owner's. */
async function recipientPage(browser: Browser, locale: string): Promise<{ page: Page; violations: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ acceptDownloads: true, locale });
  const page = await context.newPage();
  // A CSP refusal shows up as a console error: there must be none.
  const violations: string[] = [];
  page.on('console', (message) => { if (/Content Security Policy|Refused to/.test(message.text())) violations.push(message.text()); });
  return { page, violations, close: () => context.close() };
}

async function downloadedBytes(page: Page, click: () => Promise<void>): Promise<Buffer> {
  const download = page.waitForEvent('download');
  await click();
  return readFileSync(await (await download).path());
}

test('a link made in the UI opens in a fresh browser with its code and downloads byte for byte', async ({ browser, page, world, ui }) => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  await uploadFile(world.api, world.user!.auth, '/报告.bin', bytes);

  await signInThroughPage(page, ui.url, world.username);
  await page.getByRole('button', { name: 'Share links' }).click();
  await page.getByLabel('File or folder in your netdisk').fill('/报告.bin');
  await page.getByLabel('Extraction code (optional)').fill('q7w8');
  await page.getByLabel('Expires').selectOption({ label: 'After 7 days' });
  await page.getByRole('button', { name: 'Create share link' }).click();
  const item = page.locator('.share', { hasText: '/报告.bin' });
  await expect(item).toContainText('Extraction code: q7w8');
  await page.screenshot({ path: `${shots}/shares.png` });

  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ui.origin });
  await item.getByRole('button', { name: 'Copy share link' }).click();
  await expect(item.getByRole('status')).toHaveText('Copied');
  // A string: this file is compiled without the DOM's types.
  const copied = String(await page.evaluate('navigator.clipboard.readText()'));
  const [, url, code] = /^Link: (\S+) Extraction code: (\w{4})$/.exec(copied) ?? [];
  expect(code).toBe('q7w8');

  const recipient = await recipientPage(browser, 'zh-CN');
  const visitor = recipient.page;
  await visitor.goto(url!);
  await expect(visitor.getByRole('heading', { level: 1 })).toHaveText('分享给你的文件');
  await expect(visitor.getByText('此链接需要提取码。')).toBeVisible();
  await visitor.screenshot({ path: `${shots}/share-code.png` });

  await visitor.getByLabel('提取码').fill('q7w9');
  await visitor.getByRole('button', { name: '提取文件' }).click();
  await expect(visitor.getByRole('alert')).toHaveText('提取码错误，请重试。');

  await visitor.getByLabel('提取码').fill('Q7W8');
  await visitor.getByRole('button', { name: '提取文件' }).click();
  await expect(visitor.getByRole('heading', { level: 1 })).toHaveText('报告.bin');
  await visitor.screenshot({ path: `${shots}/share-file.png` });
  const got = await downloadedBytes(visitor, () => visitor.getByRole('link', { name: '下载' }).click());
  expect(got.equals(bytes)).toBe(true);
  expect(recipient.violations).toEqual([]);
  await recipient.close();

  // The owner sees the download counted, and revokes the link from the UI.
  await page.getByRole('button', { name: 'Overview' }).click();
  await page.getByRole('button', { name: 'Share links' }).click();
  await expect(item).toContainText('Downloads: 1');
  await item.getByRole('button', { name: 'Revoke' }).click();
  await expect(item).toContainText('Revoked');
  expect((await fetch(url!)).status).toBe(410);
});

test('a shared folder lists its files in English; a file and the whole folder download', async ({ browser, world }) => {
  const auth = world.user!.auth;
  for (const path of ['/trip', '/trip/day1']) await jsonRequest(world.api, 'POST', '/files/mkdir', { headers: auth, body: { path } });
  const photo = randomBytes(200_000);
  await uploadFile(world.api, auth, '/trip/day1/beach.jpg', photo);
  await uploadFile(world.api, auth, '/trip/notes.txt', Buffer.from('sunny'));
  const share = await createShare(world, { path: '/trip', code: 'tr1p' });

  const recipient = await recipientPage(browser, 'en-US');
  const { page } = recipient;
  await page.goto(share.url);
  await page.getByLabel('Extraction code').fill('tr1p');
  await page.getByRole('button', { name: 'Open' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('trip');
  await expect(page.getByRole('link', { name: 'notes.txt' })).toBeVisible();
  await page.getByRole('link', { name: 'day1/' }).click();
  await expect(page.getByRole('link', { name: 'beach.jpg' })).toBeVisible();
  await page.screenshot({ path: `${shots}/share-folder.png` });
  const got = await downloadedBytes(page, () => page.getByRole('link', { name: 'beach.jpg' }).click());
  expect(got.equals(photo)).toBe(true);

  const zip = await downloadedBytes(page, () => page.getByRole('link', { name: 'Download all (zip)' }).click());
  // A STORE zip holds the bytes as they are, right after each local header.
  expect(zip.subarray(0, 4).readUInt32LE(0)).toBe(0x04034b50);
  expect(zip.includes(photo)).toBe(true);

  // Revoked while the recipient looks: the page says so.
  await jsonRequest(world.api, 'DELETE', `/shares/${share.id}`, { headers: auth });
  await page.reload();
  await expect(page.getByRole('alert')).toHaveText('The owner has revoked this share link.');
  expect(recipient.violations).toEqual([]);
  await recipient.close();
});
