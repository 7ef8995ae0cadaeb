import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { User } from '../../protocol/api.js';
import { SyncError } from '../errors.js';
import { pageLanguage } from './loopbackPage.js';
import { signInThroughBrowser, type AuthorizationCodeGrant, type BrowserSignInOptions } from './loopbackSignIn.js';

const USER: User = { id: 'u1', username: 'qq-0123456789', displayName: '小明' } as User;

interface Attempt {
  /** The authorize URL the "browser" was sent to. */
  authorize: URL;
  redirectUri: string;
  state: string;
  result: Promise<User>;
  grants: AuthorizationCodeGrant[];
}

/** Starts a sign-in whose browser is this test: it receives the authorize URL and calls the loopback itself. */
async function start(overrides: Partial<BrowserSignInOptions> = {}): Promise<Attempt> {
  const grants: AuthorizationCodeGrant[] = [];
  let opened!: (url: string) => void;
  const authorizeOpened = new Promise<string>((resolve) => { opened = resolve; });
  const result = signInThroughBrowser({
    serverUrl: 'http://127.0.0.1:9/',
    provider: 'qq',
    openBrowser: async (url) => opened(url),
    exchange: async (grant) => {
      grants.push(grant);
      return USER;
    },
    ...overrides,
  });
  // Observed by the tests below; keeps an early rejection from counting as unhandled.
  result.catch(() => undefined);
  const authorize = new URL(await authorizeOpened);
  return {
    authorize,
    redirectUri: authorize.searchParams.get('redirect_uri')!,
    state: authorize.searchParams.get('state')!,
    result,
    grants,
  };
}

function callback(attempt: Attempt, params: Record<string, string>, headers: Record<string, string> = {}) {
  const url = new URL(attempt.redirectUri);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return fetch(url, { headers });
}

async function failure(promise: Promise<unknown>): Promise<SyncError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SyncError);
    return error as SyncError;
  }
  throw new Error('expected a failure');
}

describe('signInThroughBrowser', () => {
  it('sends the browser to the provider authorize URL with a loopback redirect and an S256 challenge', async () => {
    const attempt = await start();
    expect(`${attempt.authorize.origin}${attempt.authorize.pathname}`).toBe('http://127.0.0.1:9/api/v1/auth/oauth/qq/authorize');
    expect(attempt.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(attempt.authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(attempt.state.length).toBeGreaterThanOrEqual(20);

    const answer = await callback(attempt, { code: 'one-time-code', state: attempt.state });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('data-outcome="signed_in"');
    await expect(attempt.result).resolves.toEqual(USER);
    const [grant] = attempt.grants;
    expect(grant).toMatchObject({ code: 'one-time-code', redirectUri: attempt.redirectUri });
    expect(createHash('sha256').update(grant!.codeVerifier).digest('base64url')).toBe(attempt.authorize.searchParams.get('code_challenge'));
  });

  it('uses a fresh state and verifier for every attempt', async () => {
    const first = await start();
    const second = await start();
    expect(first.state).not.toBe(second.state);
    expect(first.authorize.searchParams.get('code_challenge')).not.toBe(second.authorize.searchParams.get('code_challenge'));
    expect(first.redirectUri).not.toBe(second.redirectUri);
    await callback(first, { code: 'a', state: first.state });
    await callback(second, { code: 'b', state: second.state });
    await Promise.all([first.result, second.result]);
  });

  it('refuses a callback with another state and keeps waiting for the right one', async () => {
    const attempt = await start();
    const forged = await callback(attempt, { code: 'attacker-code', state: 'not-the-state' });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('data-outcome="wrong_state"');
    const missing = await callback(attempt, { code: 'attacker-code' });
    expect(missing.status).toBe(400);
    expect(attempt.grants).toEqual([]);

    await callback(attempt, { code: 'real-code', state: attempt.state });
    await attempt.result;
    expect(attempt.grants.map((g) => g.code)).toEqual(['real-code']);
  });

  it('accepts exactly one callback: another one while the code is exchanged is refused, and then the port is closed', async () => {
    let release!: () => void;
    const exchanging = new Promise<void>((resolve) => { release = resolve; });
    let entered!: () => void;
    const exchangeStarted = new Promise<void>((resolve) => { entered = resolve; });
    const attempt = await start({ exchange: async () => { entered(); await exchanging; return USER; } });
    const first = callback(attempt, { code: 'first', state: attempt.state });
    await exchangeStarted;
    const second = await callback(attempt, { code: 'second', state: attempt.state });
    expect(second.status).toBe(409);
    expect(await second.text()).toContain('data-outcome="already_used"');
    release();
    expect((await first).status).toBe(200);
    await attempt.result;
    await expect(callback(attempt, { code: 'third', state: attempt.state })).rejects.toThrow();
  });

  it('turns an error redirect into sign_in_failed, shows it in the tab and closes', async () => {
    const attempt = await start();
    const answer = await callback(attempt, { error: 'access_denied', error_description: 'the user cancelled the sign-in', state: attempt.state });
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(page).toContain('data-outcome="failed"');
    expect(page).toContain('the user cancelled the sign-in');
    const error = await failure(attempt.result);
    expect(error.code).toBe('sign_in_failed');
    expect(error.detail.serviceCode).toBe('access_denied');
    expect(error.message).toContain('access_denied: the user cancelled the sign-in');
    expect(attempt.grants).toEqual([]);
    await expect(callback(attempt, { code: 'late', state: attempt.state })).rejects.toThrow();
  });

  it('shows a failed exchange in the tab and rejects with its error', async () => {
    const refused = new SyncError('service', 'invalid or expired code (invalid_grant, HTTP 400)', { status: 400, serviceCode: 'invalid_grant' });
    const attempt = await start({ exchange: async () => { throw refused; } });
    const answer = await callback(attempt, { code: 'stale', state: attempt.state });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('invalid or expired code');
    await expect(attempt.result).rejects.toBe(refused);
  });

  it('answers other paths with 404 and keeps waiting', async () => {
    const attempt = await start();
    expect((await fetch(new URL('/favicon.ico', attempt.redirectUri))).status).toBe(404);
    await callback(attempt, { code: 'c', state: attempt.state });
    await expect(attempt.result).resolves.toEqual(USER);
  });

  it('gives up with sign_in_timeout when nobody comes back in time, and closes the port', async () => {
    const attempt = await start({ timeoutMs: 50 });
    const error = await failure(attempt.result);
    expect(error.code).toBe('sign_in_timeout');
    await expect(callback(attempt, { code: 'late', state: attempt.state })).rejects.toThrow();
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const attempt = await start({ signal: controller.signal });
    controller.abort();
    expect((await failure(attempt.result)).code).toBe('aborted');
    await expect(callback(attempt, { code: 'late', state: attempt.state })).rejects.toThrow();
  });

  it('fails and closes when the browser cannot be opened', async () => {
    const broken = new Error('no browser');
    await expect(signInThroughBrowser({
      serverUrl: 'http://127.0.0.1:9',
      provider: 'qq',
      openBrowser: async () => { throw broken; },
      exchange: async () => USER,
    })).rejects.toBe(broken);
  });

  it('speaks Chinese to a browser that prefers it, English otherwise', async () => {
    const zh = await start();
    const page = await (await callback(zh, { code: 'c', state: zh.state }, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' })).text();
    expect(page).toContain('<html lang="zh-CN">');
    expect(page).toContain('登录成功');
    expect(page).toContain('小明');
    await zh.result;

    const en = await start();
    const english = await (await callback(en, { error: 'provider_error', state: en.state }, { 'accept-language': 'en-US,en;q=0.9' })).text();
    expect(english).toContain('<html lang="en">');
    expect(english).toContain('Sign-in failed');
    await en.result.catch(() => undefined);
  });
});

describe('pageLanguage', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['zh-CN', 'zh-CN'],
    ['zh-TW,zh;q=0.8', 'zh-CN'],
    ['en-US,zh-CN;q=0.5', 'en'],
    ['fr-FR,zh;q=0.7,en;q=0.6', 'zh-CN'],
    ['en;q=0.4,zh;q=0.9', 'zh-CN'],
    ['de-DE,fr;q=0.8', 'en'],
    ['zh;q=0,en', 'en'],
  ])('%s -> %s', (header, language) => {
    expect(pageLanguage(header)).toBe(language);
  });
});
