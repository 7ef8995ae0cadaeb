import { expect, test } from '@playwright/test';
import { startQqStandin, type QqStandin } from '../qqStandin/standin.js';
import { UiWorld } from './uiHarness.js';

const QQ_APP = { appId: '101000001', appKey: 'local-standin-app-key' };
let world: UiWorld;
let standin: QqStandin;

test.beforeEach(async () => {
  standin = await startQqStandin(QQ_APP);
  world = new UiWorld();
  await world.startService((serverUrl) => {
    standin.redirectUris.push(`${serverUrl}/api/v1/auth/oauth/qq/callback`);
    return { NETDISK_QQ_APP_ID: QQ_APP.appId, NETDISK_QQ_APP_KEY: QQ_APP.appKey, NETDISK_QQ_BASE_URL: standin.url };
  });
});
test.afterEach(async () => {
  await world.cleanup();
  await standin.close();
});

test('signs in with QQ (the local stand-in) from the sign-in screen', async ({ page, context }) => {
  const ui = await world.startUi();
  await page.goto(ui.url);
  const tab = context.waitForEvent('page');
  await page.getByRole('button', { name: 'Sign in with QQ' }).click();
  await expect(page.getByRole('status')).toContainText('Finish signing in in the browser tab that opened.');

  const qq = await tab;
  await qq.waitForLoadState();
  expect(new URL(qq.url()).origin).toBe(standin.url);
  await qq.fill('input[name="nickname"]', '界面用户');
  await qq.click('#authorize');
  await expect(qq.locator('#sign-in-result')).toHaveAttribute('data-outcome', 'signed_in');

  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();
  await expect(page.locator('.engine-state')).toHaveText('Up to date');
});
