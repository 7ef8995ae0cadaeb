import { chromium, type Browser, type Page } from 'playwright-core';
import { startOidcIssuer, type OidcIssuer } from './oidcIssuer.js';
import { startTestServer, type TestServer } from './testServer.js';
import { startQqStandin, type QqStandin } from '../qqStandin/standin.js';

/**
 * The world a provider sign-in needs: the service configured with the QQ
 * stand-in and a real OpenID Connect provider (`oidc:local`), and Debian's
 * Chromium to click through their pages.
 */
export interface ProviderWorld {
  server: TestServer;
  standin: QqStandin;
  issuer: OidcIssuer;
  browser: Browser;
  close(): Promise<void>;
}

export const OIDC_PROVIDER = 'oidc:local';

const QQ_APP = { appId: '101000009', appKey: 'client-sign-in-test-app-key' };
const OIDC_CLIENT = { clientId: 'netdisk-client-test', clientSecret: 'netdisk-client-test-secret-long-enough' };

export async function startProviderWorld(): Promise<ProviderWorld> {
  const standin = await startQqStandin(QQ_APP);
  const issuer = await startOidcIssuer();
  const server = await startTestServer((config) => {
    config.oauth.qq = { ...QQ_APP, baseUrl: standin.url, unionid: false };
    config.oauth.oidc = [{ name: 'local', issuer: issuer.issuer, ...OIDC_CLIENT, scopes: ['openid', 'profile'] }];
  });
  standin.redirectUris.push(`${server.api}/auth/oauth/qq/callback`);
  issuer.addClient({ ...OIDC_CLIENT, redirectUri: `${server.api}/auth/oauth/${OIDC_PROVIDER}/callback` });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  return {
    server,
    standin,
    issuer,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
      await issuer.close();
      await standin.close();
    },
  };
}

const onLoopback = (url: URL) => url.hostname === '127.0.0.1' && url.pathname === '/callback';

/** From an authorize URL through the QQ stand-in's login page (as `nickname`) back to the client's loopback. */
export async function clickThroughQq(page: Page, authorizeUrl: string, nickname: string): Promise<void> {
  await page.goto(authorizeUrl);
  await page.fill('input[name="nickname"]', nickname);
  await Promise.all([page.waitForURL(onLoopback), page.click('#authorize')]);
}

/** From an authorize URL through oidc-provider's development login and consent pages back to the client's loopback. */
export async function clickThroughOidc(page: Page, authorizeUrl: string, login: string): Promise<void> {
  await page.goto(authorizeUrl);
  for (let step = 0; step < 4 && !onLoopback(new URL(page.url())); step++) {
    const loginField = page.locator('input[name="login"]');
    if (await loginField.count() > 0) {
      await loginField.fill(login);
      await page.fill('input[name="password"]', 'any');
    }
    await Promise.all([page.waitForNavigation(), page.locator('button[type="submit"]').first().click()]);
  }
  await page.waitForURL(onLoopback);
}

/** The outcome the client's loopback page reports (`signed_in`, `failed`, ...). */
export function loopbackOutcome(page: Page): Promise<string | null> {
  return page.locator('#sign-in-result').getAttribute('data-outcome');
}
