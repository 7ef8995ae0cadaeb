import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkedProvidersResponse, linkIntentResponse, meResponse, tokenPairResponse } from '../../protocol/api.js';
import { signUp } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import {
  authorizeUrl, newPkce, ScriptedBrowser, startLoopbackListener, type LoopbackListener, type Pkce,
} from '../../test/helpers/oauthFlow.js';
import { queryServerDb } from '../../test/helpers/serverDb.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { startQqStandin, type QqStandin } from '../../test/qqStandin/standin.js';

const APP_ID = '101000001';
const APP_KEY = 'standin-app-key';

interface TestWorld {
  standin: QqStandin;
  server: TestServer;
  loopback: LoopbackListener;
  close(): Promise<void>;
}

async function startWorld(options: { unionid?: boolean; now?: () => number } = {}): Promise<TestWorld> {
  const standin = await startQqStandin({ appId: APP_ID, appKey: APP_KEY });
  const server = await startTestServer((config) => {
    config.oauth.qq = { appId: APP_ID, appKey: APP_KEY, baseUrl: standin.url, unionid: options.unionid ?? false };
  }, options.now ? { now: options.now } : {});
  standin.redirectUris.push(`${server.api}/auth/oauth/qq/callback`);
  const loopback = await startLoopbackListener();
  return {
    standin, server, loopback,
    close: async () => {
      await loopback.close();
      await server.close();
      await standin.close();
    },
  };
}

interface LoopbackResult {
  params: URLSearchParams;
  pkce: Pkce;
  state: string;
}

/** Browser part: authorize at the service, "click" QQ's login button, land on the loopback. */
async function clickThroughQq(world: TestWorld, nickname: string, linkTicket?: string): Promise<LoopbackResult> {
  const browser = new ScriptedBrowser();
  const pkce = newPkce();
  const state = randomBytes(12).toString('hex');
  const login = await browser.open(authorizeUrl(world.server.url, 'qq', {
    redirectUri: world.loopback.redirectUri, state, challenge: pkce.challenge, ...(linkTicket ? { linkTicket } : {}),
  }));
  expect(login.url.startsWith(`${world.standin.url}/oauth2.0/authorize?`)).toBe(true);
  expect(login.html).toContain('授权并登录');
  const landed = await browser.submit(login, { nickname });
  expect(landed.url.startsWith(world.loopback.redirectUri)).toBe(true);
  expect(landed.html).toContain('You can close this tab');
  const params = new URL(landed.url).searchParams;
  expect(world.loopback.received.at(-1)?.toString()).toBe(params.toString());
  return { params, pkce, state };
}

function exchange(world: TestWorld, code: string, verifier: string, redirectUri = world.loopback.redirectUri) {
  return jsonRequest(world.server.api, 'POST', '/auth/token', {
    body: { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, deviceName: 'qq test' },
  });
}

async function signInWithQq(world: TestWorld, nickname: string) {
  const { params, pkce, state } = await clickThroughQq(world, nickname);
  expect(params.get('state')).toBe(state);
  expect(params.get('error')).toBeNull();
  const answer = await exchange(world, params.get('code')!, pkce.verifier);
  expect(answer.status).toBe(200);
  return tokenPairResponse.parse(answer.body);
}

describe('sign-in with QQ through the stand-in', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await startWorld(); });
  afterAll(async () => { await world.close(); });

  it('creates the user with QQ nickname on first sign-in, and maps the next sign-in to the same user', async () => {
    const nickname = `小明-${randomBytes(3).toString('hex')}`;
    const first = await signInWithQq(world, nickname);
    expect(first.user.displayName).toBe(nickname);
    expect(first.user.username).toMatch(/^qq-[0-9a-f]{10}$/);
    const me = await jsonRequest(world.server.api, 'GET', '/me', { headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(meResponse.parse(me.body).user).toEqual(first.user);

    const second = await signInWithQq(world, nickname);
    expect(second.user.id).toBe(first.user.id);
    expect(second.refreshToken).not.toBe(first.refreshToken);

    const other = await signInWithQq(world, `${nickname}-other`);
    expect(other.user.id).not.toBe(first.user.id);

    const providers = await jsonRequest(world.server.api, 'GET', '/auth/providers', { headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(linkedProvidersResponse.parse(providers.body).providers.map((p) => p.provider)).toEqual(['qq']);
    // The refresh token works like a password sign-in's.
    const refreshed = await jsonRequest(world.server.api, 'POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(refreshed.status).toBe(200);
  });

  it('refuses a replayed code, a wrong verifier and a different redirect_uri (each code dies on first use)', async () => {
    const ok = await clickThroughQq(world, 'replay');
    expect((await exchange(world, ok.params.get('code')!, ok.pkce.verifier)).status).toBe(200);
    const replayed = await exchange(world, ok.params.get('code')!, ok.pkce.verifier);
    expect(replayed.status).toBe(400);
    expect(errorCodeOf(replayed)).toBe('invalid_grant');

    const wrongVerifier = await clickThroughQq(world, 'verifier');
    const refused = await exchange(world, wrongVerifier.params.get('code')!, newPkce().verifier);
    expect(errorCodeOf(refused)).toBe('invalid_grant');
    expect(errorCodeOf(await exchange(world, wrongVerifier.params.get('code')!, wrongVerifier.pkce.verifier))).toBe('invalid_grant');

    const otherRedirect = await clickThroughQq(world, 'redirect');
    const mismatch = await exchange(world, otherRedirect.params.get('code')!, otherRedirect.pkce.verifier, 'http://127.0.0.1:1/callback');
    expect(errorCodeOf(mismatch)).toBe('invalid_grant');

    expect(errorCodeOf(await exchange(world, 'never-issued', newPkce().verifier))).toBe('invalid_grant');
  });

  it('refuses an unknown or reused state at the callback with a clear error, not a redirect', async () => {
    const unknown = await fetch(`${world.server.api}/auth/oauth/qq/callback?code=x&state=forged`, { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('invalid_request');

    // Stop the browser where QQ sends it back to the service, and replay that callback.
    const browser = new ScriptedBrowser();
    const pkce = newPkce();
    const login = await browser.open(authorizeUrl(world.server.url, 'qq', { redirectUri: world.loopback.redirectUri, state: 's', challenge: pkce.challenge }));
    const atCallback = await browser.submit(login, { nickname: 'state replay' }, `${world.server.api}/auth/oauth/qq/callback`);
    const first = await fetch(atCallback.url, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(new URL(first.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    const again = await fetch(atCallback.url, { redirect: 'manual' });
    expect(again.status).toBe(400);
    // A callback for another provider's flow does not consume or match it.
    expect((await fetch(`${world.server.api}/auth/oauth/oidc:none/callback?code=x&state=y`, { redirect: 'manual' })).status).toBe(404);
  });

  it.each([
    ['https://evil.example/callback'],
    ['http://localhost:1234/callback'],
    ['http://127.0.0.1.evil.com/callback'],
    ['http://127.0.0.1.evil.com:80/callback'],
    ['http://127.0.0.1/callback'],
    ['http://127.0.0.1:0/callback'],
    ['http://127.0.0.1:99999/callback'],
    ['http://user@127.0.0.1:1234/callback'],
    ['https://127.0.0.1:1234/callback'],
    ['http://127.1:1234/callback'],
    ['http://[::1]:1234/callback#fragment'],
    ['javascript:alert(1)'],
  ])('refuses the non-loopback redirect_uri %s with 400 and no redirect', async (redirectUri) => {
    const response = await fetch(authorizeUrl(world.server.url, 'qq', { redirectUri, state: 's', challenge: newPkce().challenge }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('accepts the IPv6 loopback and refuses a missing or plain PKCE challenge', async () => {
    const challenge = newPkce().challenge;
    const v6 = await fetch(authorizeUrl(world.server.url, 'qq', { redirectUri: 'http://[::1]:4321/cb', state: 's', challenge }), { redirect: 'manual' });
    expect(v6.status).toBe(302);
    expect(v6.headers.get('location')!.startsWith(`${world.standin.url}/oauth2.0/authorize?`)).toBe(true);
    const qs = new URLSearchParams({ redirect_uri: world.loopback.redirectUri, state: 's', code_challenge: challenge, code_challenge_method: 'plain' });
    expect((await fetch(`${world.server.api}/auth/oauth/qq/authorize?${qs.toString()}`, { redirect: 'manual' })).status).toBe(400);
    qs.delete('code_challenge');
    qs.set('code_challenge_method', 'S256');
    expect((await fetch(`${world.server.api}/auth/oauth/qq/authorize?${qs.toString()}`, { redirect: 'manual' })).status).toBe(400);
  });

  it('answers 404 for a provider that is not configured', async () => {
    for (const provider of ['oidc:nope', 'github']) {
      const response = await fetch(authorizeUrl(world.server.url, provider, { redirectUri: world.loopback.redirectUri, state: 's', challenge: newPkce().challenge }), { redirect: 'manual' });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('sends "user denied" back to the loopback as error=access_denied with the client state', async () => {
    const browser = new ScriptedBrowser();
    const login = await browser.open(authorizeUrl(world.server.url, 'qq', { redirectUri: world.loopback.redirectUri, state: 'deny-state', challenge: newPkce().challenge }));
    const denyHref = /id="deny" href="([^"]+)"/.exec(login.html)![1]!.replace(/&#38;/g, '&');
    const landed = await browser.open(denyHref);
    const params = new URL(landed.url).searchParams;
    expect(landed.url.startsWith(world.loopback.redirectUri)).toBe(true);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe('deny-state');
    expect(params.get('code')).toBeNull();
  });

  it.each([
    ['token', /code to access token error/],
    ['me', /access token check failed/],
    ['get_user_info', /access token check failed/],
  ] as const)('turns a QQ error body from %s into error=provider_error at the loopback', async (endpoint, description) => {
    world.standin.failNext(endpoint);
    const { params, state } = await clickThroughQq(world, `fails-${endpoint}`);
    expect(params.get('code')).toBeNull();
    expect(params.get('error')).toBe('provider_error');
    expect(params.get('error_description')).toMatch(description);
    expect(params.get('error_description')).toContain(`qq ${endpoint}`);
    expect(params.get('state')).toBe(state);
  });

  it('links QQ to a password account with a link ticket, lists and unlinks it, but never the last way in', async () => {
    const account = await signUp(world.server.api);
    const intent = await jsonRequest(world.server.api, 'POST', '/auth/oauth/qq/link-intent', { headers: account.auth });
    const { linkTicket } = linkIntentResponse.parse(intent.body);
    const nickname = `link-${randomBytes(3).toString('hex')}`;
    const linked = await clickThroughQq(world, nickname, linkTicket);
    const pair = tokenPairResponse.parse((await exchange(world, linked.params.get('code')!, linked.pkce.verifier)).body);
    expect(pair.user.id).toBe(account.user.id);
    // From now on a plain QQ sign-in lands in the password account.
    expect((await signInWithQq(world, nickname)).user.id).toBe(account.user.id);

    const listed = await jsonRequest(world.server.api, 'GET', '/auth/providers', { headers: account.auth });
    expect(linkedProvidersResponse.parse(listed.body).providers.map((p) => p.provider)).toEqual(['password', 'qq']);
    // A ticket is single use.
    const reused = await fetch(authorizeUrl(world.server.url, 'qq', { redirectUri: world.loopback.redirectUri, state: 's', challenge: newPkce().challenge, linkTicket }), { redirect: 'manual' });
    expect(reused.status).toBe(400);

    expect((await jsonRequest(world.server.api, 'DELETE', '/auth/providers/qq', { headers: account.auth })).status).toBe(204);
    expect(errorCodeOf(await jsonRequest(world.server.api, 'DELETE', '/auth/providers/qq', { headers: account.auth }))).toBe('not_found');
    expect(errorCodeOf(await jsonRequest(world.server.api, 'DELETE', '/auth/providers/password', { headers: account.auth }))).toBe('invalid_request');
    expect((await signInWithQq(world, nickname)).user.id).not.toBe(account.user.id);

    const qqOnly = await signInWithQq(world, `only-${nickname}`);
    const last = await jsonRequest(world.server.api, 'DELETE', '/auth/providers/qq', { headers: { authorization: `Bearer ${qqOnly.accessToken}` } });
    expect(last.status).toBe(409);
    expect(errorCodeOf(last)).toBe('conflict');
  });

  it('a replayed code is refused and the tokens it already gave are revoked (RFC 6749 §4.1.2)', async () => {
    const { params, pkce } = await clickThroughQq(world, `replayed-${randomBytes(3).toString('hex')}`);
    const first = await exchange(world, params.get('code')!, pkce.verifier);
    const pair = tokenPairResponse.parse(first.body);
    const me = () => jsonRequest(world.server.api, 'GET', '/me', { headers: { authorization: `Bearer ${pair.accessToken}` } });
    expect((await me()).status).toBe(200);

    const replay = await exchange(world, params.get('code')!, pkce.verifier);
    expect(errorCodeOf(replay)).toBe('invalid_grant');
    const refused = await me();
    expect(refused.status).toBe(401);
    expect(errorCodeOf(refused)).toBe('unauthorized');
    expect((await jsonRequest(world.server.api, 'POST', '/auth/refresh', { body: { refreshToken: pair.refreshToken } })).status).toBe(401);
  });

  it("a link URL opened in someone else's browser links nothing (the cross-browser attack)", async () => {
    const attacker = await signUp(world.server.api);
    const { linkTicket } = linkIntentResponse.parse((await jsonRequest(world.server.api, 'POST', '/auth/oauth/qq/link-intent', { headers: attacker.auth })).body);
    // The attacker builds the authorize URL with a PKCE pair of their own and gets the victim to open it.
    const attackerPkce = newPkce();
    const url = authorizeUrl(world.server.url, 'qq', { redirectUri: world.loopback.redirectUri, state: 'attacker', challenge: attackerPkce.challenge, linkTicket });
    const victimBrowser = new ScriptedBrowser();
    const victim = `victim-${randomBytes(3).toString('hex')}`;
    const landed = await victimBrowser.submit(await victimBrowser.open(url), { nickname: victim });
    const code = new URL(landed.url).searchParams.get('code');
    expect(code).not.toBeNull();
    // The code reaches the victim's loopback; whatever listens there lacks the attacker's verifier.
    expect(errorCodeOf(await exchange(world, code!, newPkce().verifier))).toBe('invalid_grant');

    const listed = await jsonRequest(world.server.api, 'GET', '/auth/providers', { headers: attacker.auth });
    expect(linkedProvidersResponse.parse(listed.body).providers.map((p) => p.provider)).toEqual(['password']);
    // The victim's QQ sign-in lands in an account of the victim's own, not the attacker's.
    expect((await signInWithQq(world, victim)).user.id).not.toBe(attacker.user.id);
  });

  it('a link code redeemed twice links once, and the replay revokes the session it gave', async () => {
    const account = await signUp(world.server.api);
    const { linkTicket } = linkIntentResponse.parse((await jsonRequest(world.server.api, 'POST', '/auth/oauth/qq/link-intent', { headers: account.auth })).body);
    const nickname = `twice-${randomBytes(3).toString('hex')}`;
    const { params, pkce } = await clickThroughQq(world, nickname, linkTicket);
    const pair = tokenPairResponse.parse((await exchange(world, params.get('code')!, pkce.verifier)).body);
    expect(pair.user.id).toBe(account.user.id);
    expect(errorCodeOf(await exchange(world, params.get('code')!, pkce.verifier))).toBe('invalid_grant');
    expect((await jsonRequest(world.server.api, 'GET', '/me', { headers: { authorization: `Bearer ${pair.accessToken}` } })).status).toBe(401);
    expect((await signInWithQq(world, nickname)).user.id).toBe(account.user.id);
  });

  it('refuses to link a QQ account that already signs in another user', async () => {
    const nickname = `taken-${randomBytes(3).toString('hex')}`;
    const owner = await signInWithQq(world, nickname);
    const account = await signUp(world.server.api);
    const { linkTicket } = linkIntentResponse.parse((await jsonRequest(world.server.api, 'POST', '/auth/oauth/qq/link-intent', { headers: account.auth })).body);
    const { params } = await clickThroughQq(world, nickname, linkTicket);
    expect(params.get('error')).toBe('already_exists');
    expect((await signInWithQq(world, nickname)).user.id).toBe(owner.user.id);
    expect(errorCodeOf(await jsonRequest(world.server.api, 'POST', '/auth/oauth/qq/link-intent', {}))).toBe('unauthorized');
  });
});

describe('QQ sign-in with a clock and with unionid', () => {
  it('refuses a code presented after it expired (60 s)', async () => {
    let now = Date.now();
    const world = await startWorld({ now: () => now });
    try {
      const { params, pkce } = await clickThroughQq(world, 'slow client');
      now += 61_000;
      const late = await exchange(world, params.get('code')!, pkce.verifier);
      expect(late.status).toBe(400);
      expect(errorCodeOf(late)).toBe('invalid_grant');
      expect((late.body as { error: { message: string } }).error.message).toMatch(/expired/);
    } finally {
      await world.close();
    }
  });

  it('keys the account on the unionid when it is enabled', async () => {
    const world = await startWorld({ unionid: true });
    try {
      const pair = await signInWithQq(world, 'union');
      const [row] = await queryServerDb(world.server, 'SELECT provider_id FROM user_auth WHERE user_id = ?', [pair.user.id]);
      expect(row!.provider_id).toBe(world.standin.unionidOf('union'));
    } finally {
      await world.close();
    }
  });
});
