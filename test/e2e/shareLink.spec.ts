import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { shareResponse, type Share } from '../../protocol/shares.js';
import { jsonRequest } from '../helpers/jsonRequest.js';
import { uploadFile } from '../helpers/uploads.js';
import { expect, shots, test } from './fixtures.js';
import type { UiWorld } from './uiHarness.js';

async function createShare(world: UiWorld, body: Record<string, unknown>): Promise<Share> {
  const response = await jsonRequest(world.api, 'POST', '/shares', { headers: world.user!.auth, body });
  expect(response.status).toBe(201);
  return shareResponse.parse(response.body).share;
}

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

test('a shared file opens in a fresh browser with its code and downloads byte for byte', async ({ browser, world }) => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  await uploadFile(world.api, world.user!.auth, '/报告.bin', bytes);
  const share = await createShare(world, { path: '/报告.bin', code: 'q7w8' });

  const recipient = await recipientPage(browser, 'zh-CN');
  const { page } = recipient;
  await page.goto(share.url);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('分享给你的文件');
  await expect(page.getByText('此链接需要提取码。')).toBeVisible();
  await page.screenshot({ path: `${shots}/share-code.png` });

  await page.getByLabel('提取码').fill('q7w9');
  await page.getByRole('button', { name: '提取文件' }).click();
  await expect(page.getByRole('alert')).toHaveText('提取码错误，请重试。');

  await page.getByLabel('提取码').fill('Q7W8');
  await page.getByRole('button', { name: '提取文件' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('报告.bin');
  await page.screenshot({ path: `${shots}/share-file.png` });
  const got = await downloadedBytes(page, () => page.getByRole('link', { name: '下载' }).click());
  expect(got.equals(bytes)).toBe(true);
  expect(recipient.violations).toEqual([]);
  await recipient.close();
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
