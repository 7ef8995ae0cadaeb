import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryResponse, type User } from '../protocol/api.js';
import { FileCredentialStore } from '../app/auth/fileCredentialStore.js';
import { SyncClient } from '../app/syncClient.js';
import { jsonRequest } from './helpers/jsonRequest.js';
import { clickThroughOidc, clickThroughQq, loopbackOutcome, OIDC_PROVIDER, startProviderWorld, type ProviderWorld } from './helpers/providerSignIn.js';

/**
 * The client half of provider sign-in, end to end: SyncClient's browser
 * sign-in hands the authorize URL to Chromium, which goes through the service
 * to the provider's pages and back to the client's loopback; the tokens the
 * client obtained then carry a real sync. Needs `npx tsc -b` (hash worker).
 */
describe('sign-in through the browser, then sync', () => {
  let world: ProviderWorld;
  const temps: string[] = [];

  beforeAll(async () => {
    world = await startProviderWorld();
  });
  afterAll(async () => {
    await world?.close();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  async function openClient(): Promise<SyncClient> {
    const folder = mkdtempSync(join(tmpdir(), 'netdisk-signin-'));
    temps.push(folder);
    const stateDir = join(folder, '.netdisk-sync');
    return SyncClient.open({
      server: world.server.url,
      folder,
      warn: () => undefined,
      credentials: new FileCredentialStore(stateDir),
    });
  }

  /**
   * Signs `client` in with `provider`, letting `clickThrough` play the user in
   * a fresh Chromium context; returns the user (or the error) and what the tab showed.
   */
  async function signIn(client: SyncClient, provider: string, locale: string, clickThrough: (page: Page, url: string) => Promise<void>) {
    const context = await world.browser.newContext({ locale });
    try {
      const page = await context.newPage();
      let browsing: Promise<void> | undefined;
      const attempt = await client.signInWithBrowser({
        provider,
        openBrowser: async (url) => { browsing = clickThrough(page, url); },
      }).then((user): { user: User; error?: undefined } => ({ user }), (error: unknown) => ({ error, user: undefined }));
      await browsing;
      return { ...attempt, outcome: await loopbackOutcome(page), lang: await page.locator('html').getAttribute('lang'), text: await page.textContent('body') };
    } finally {
      await context.close();
    }
  }

  async function syncsAFile(client: SyncClient): Promise<void> {
    const name = `hello-${randomBytes(3).toString('hex')}.txt`;
    writeFileSync(join(client.folder, name), 'signed in through a browser\n');
    const summary = await client.engine.syncOnce();
    expect(summary.failures).toEqual([]);
    expect(summary.converged).toBe(true);
    const meta = await jsonRequest(world.server.api, 'GET', `/files/meta?path=${encodeURIComponent(`/${name}`)}`, {
      headers: { authorization: `Bearer ${await client.session.accessToken()}` },
    });
    expect(meta.status).toBe(200);
    expect(entryResponse.parse(meta.body).entry.size).toBe('signed in through a browser\n'.length);
  }

  it('QQ: the stand-in login page signs a new user in, the tab says so in Chinese, and a file uploads', async () => {
    const client = await openClient();
    try {
      const nickname = `小明-${randomBytes(2).toString('hex')}`;
      const result = await signIn(client, 'qq', 'zh-CN', (page, url) => clickThroughQq(page, url, nickname));
      expect(result.user?.displayName).toBe(nickname);
      expect(result.outcome).toBe('signed_in');
      expect(result.lang).toBe('zh-CN');
      expect(result.text).toContain(nickname);
      expect(client.username).toBe(result.user?.username);
      await syncsAFile(client);
    } finally {
      await client.close();
    }
  });

  it('OpenID Connect: oidc-provider login and consent sign a user in, and a file uploads', async () => {
    const client = await openClient();
    try {
      const login = `ada-${randomBytes(3).toString('hex')}`;
      const result = await signIn(client, OIDC_PROVIDER, 'en-US', (page, url) => clickThroughOidc(page, url, login));
      expect(result.user?.displayName).toBe(`Ada ${login}`);
      expect(result.outcome).toBe('signed_in');
      expect(result.lang).toBe('en');
      await syncsAFile(client);
    } finally {
      await client.close();
    }
  });

  it('refuses another QQ account for a folder synced for someone else: the tab says why, and the first account stays', async () => {
    const client = await openClient();
    try {
      const first = await signIn(client, 'qq', 'en-US', (page, url) => clickThroughQq(page, url, `first-${randomBytes(2).toString('hex')}`));
      await syncsAFile(client);
      const second = await signIn(client, 'qq', 'en-US', (page, url) => clickThroughQq(page, url, `second-${randomBytes(2).toString('hex')}`));
      expect(second.error).toMatchObject({ code: 'account_mismatch' });
      expect(second.outcome).toBe('failed');
      expect(second.text).toContain(`this folder is synced for ${first.user!.username}`);
      expect(client.username).toBe(first.user!.username);
      const stored = JSON.parse(readFileSync(join(client.stateDir, 'credentials.json'), 'utf8')) as Record<string, string>;
      expect(Object.keys(stored)).toEqual([`${world.server.url}|${first.user!.username}`]);
      expect(await client.resume()).toBe(true);
      await syncsAFile(client);
    } finally {
      await client.close();
    }
  });

  it('QQ cancelled in the browser: the tab shows the refusal and the client stays signed out', async () => {
    const client = await openClient();
    try {
      const result = await signIn(client, 'qq', 'en-US', async (page, url) => {
        await page.goto(url);
        await Promise.all([page.waitForURL((u) => u.pathname === '/callback'), page.click('#deny')]);
      });
      expect(result.error).toMatchObject({ code: 'sign_in_failed' });
      expect(result.outcome).toBe('failed');
      expect(result.text).toContain('access_denied');
      expect(client.session.state).toBe('signed_out');
      expect(await client.resume()).toBe(false);
    } finally {
      await client.close();
    }
  });
});
