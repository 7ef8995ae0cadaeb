import { randomBytes } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meResponse, tokenPairResponse } from '../../protocol/api.js';
import { jsonRequest } from '../../test/helpers/jsonRequest.js';
import { authorizeUrl, newPkce, startLoopbackListener, type LoopbackListener } from '../../test/helpers/oauthFlow.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { startQqStandin, type QqStandin } from '../../test/qqStandin/standin.js';

const APP_ID = '101000002';
const APP_KEY = 'browser-test-app-key';

describe('QQ sign-in in Chromium (Playwright)', () => {
  let standin: QqStandin;
  let server: TestServer;
  let loopback: LoopbackListener;
  let browser: Browser;

  beforeAll(async () => {
    standin = await startQqStandin({ appId: APP_ID, appKey: APP_KEY });
    server = await startTestServer((config) => {
      config.oauth.qq = { appId: APP_ID, appKey: APP_KEY, baseUrl: standin.url, unionid: false };
    });
    standin.redirectUris.push(`${server.api}/auth/oauth/qq/callback`);
    loopback = await startLoopbackListener();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await loopback?.close();
    await server?.close();
    await standin?.close();
  });

  it('goes from the authorize URL through the QQ login page to the loopback, and the code buys a token pair', async () => {
    const pkce = newPkce();
    const state = randomBytes(12).toString('hex');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(authorizeUrl(server.url, 'qq', { redirectUri: loopback.redirectUri, state, challenge: pkce.challenge }));
      expect(page.url().startsWith(`${standin.url}/oauth2.0/authorize?`)).toBe(true);
      await page.fill('input[name="nickname"]', '浏览器用户');
      await Promise.all([
        page.waitForURL((url) => url.toString().startsWith(loopback.redirectUri)),
        page.click('text=授权并登录'),
      ]);
      await expect(page.textContent('#done')).resolves.toContain('You can close this tab');
      const received = loopback.received.at(-1)!;
      expect(received.get('state')).toBe(state);
      const answer = await jsonRequest(server.api, 'POST', '/auth/token', {
        body: { grant_type: 'authorization_code', code: received.get('code'), code_verifier: pkce.verifier, redirect_uri: loopback.redirectUri },
      });
      expect(answer.status).toBe(200);
      const pair = tokenPairResponse.parse(answer.body);
      const me = await jsonRequest(server.api, 'GET', '/me', { headers: { authorization: `Bearer ${pair.accessToken}` } });
      expect(meResponse.parse(me.body).user.displayName).toBe('浏览器用户');
    } finally {
      await context.close();
    }
  });
});
