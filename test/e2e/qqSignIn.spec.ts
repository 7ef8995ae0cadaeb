import { startQqStandin, type QqStandin } from '../qqStandin/standin.js';
import { expect, test as uiTest } from './fixtures.js';

const QQ_APP = { appId: '101000001', appKey: 'local-standin-app-key' };

/** The service signs in with QQ against the local stand-in, which knows its callback address. */
const test = uiTest.extend<{ standin: QqStandin }>({
  standin: async ({}, use) => {
    const standin = await startQqStandin(QQ_APP);
    try {
      await use(standin);
    } finally {
      await standin.close();
    }
  },
  serviceEnv: async ({ standin }, use) => use((serverUrl) => {
    standin.redirectUris.push(`${serverUrl}/api/v1/auth/oauth/qq/callback`);
    return { NETDISK_QQ_APP_ID: QQ_APP.appId, NETDISK_QQ_APP_KEY: QQ_APP.appKey, NETDISK_QQ_BASE_URL: standin.url };
  }),
});

test('signs in with QQ (the local stand-in) from the sign-in screen', async ({ page, context, standin, ui }) => {
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
