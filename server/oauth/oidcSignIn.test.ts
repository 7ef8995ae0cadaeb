import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meResponse, tokenPairResponse } from '../../protocol/api.js';
import { jsonRequest } from '../../test/helpers/jsonRequest.js';
import { authorizeUrl, newPkce, ScriptedBrowser, startLoopbackListener, type LoopbackListener } from '../../test/helpers/oauthFlow.js';
import { startOidcIssuer, type OidcIssuer } from '../../test/helpers/oidcIssuer.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';

const CLIENT_ID = 'netdisk-test';
const CLIENT_SECRET = 'netdisk-test-secret-that-is-long-enough';
const PROVIDER = 'oidc:local';

describe('sign-in through a real OpenID Connect provider (oidc-provider)', () => {
  let issuer: OidcIssuer;
  let server: TestServer;
  let loopback: LoopbackListener;

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    server = await startTestServer((config) => {
      config.oauth.oidc = [{ name: 'local', issuer: issuer.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: ['openid', 'profile'] }];
    });
    issuer.addClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: `${server.api}/auth/oauth/${PROVIDER}/callback` });
    loopback = await startLoopbackListener();
  });
  afterAll(async () => {
    await loopback.close();
    await server.close();
    await issuer.close();
  });

  /** Logs in at the provider's login page as `login`, consents, and returns what the loopback got. */
  async function clickThrough(login: string) {
    const browser = new ScriptedBrowser();
    const pkce = newPkce();
    const state = randomBytes(8).toString('hex');
    let page = await browser.open(authorizeUrl(server.url, PROVIDER, { redirectUri: loopback.redirectUri, state, challenge: pkce.challenge }));
    expect(page.url.startsWith(`${issuer.issuer}/interaction/`)).toBe(true);
    for (let step = 0; step < 4 && !page.url.startsWith(loopback.redirectUri); step++) {
      expect(page.status).toBe(200);
      page = await browser.submit(page, { login, password: 'any' });
    }
    expect(page.url.startsWith(loopback.redirectUri)).toBe(true);
    const params = new URL(page.url).searchParams;
    expect(params.get('state')).toBe(state);
    return { params, pkce };
  }

  async function signIn(login: string) {
    const { params, pkce } = await clickThrough(login);
    expect(params.get('error')).toBeNull();
    const answer = await jsonRequest(server.api, 'POST', '/auth/token', {
      body: { grant_type: 'authorization_code', code: params.get('code'), code_verifier: pkce.verifier, redirect_uri: loopback.redirectUri },
    });
    expect(answer.status).toBe(200);
    return tokenPairResponse.parse(answer.body);
  }

  it('creates the user from the ID token (sub, name) and maps the next sign-in to the same user', async () => {
    const login = `ada-${randomBytes(3).toString('hex')}`;
    const first = await signIn(login);
    expect(first.user.displayName).toBe(`Ada ${login}`);
    expect(first.user.username).toMatch(/^local-[0-9a-f]{10}$/);
    const me = await jsonRequest(server.api, 'GET', '/me', { headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(meResponse.parse(me.body).user.id).toBe(first.user.id);
    expect((await signIn(login)).user.id).toBe(first.user.id);
    expect((await signIn(`${login}-2`)).user.id).not.toBe(first.user.id);
  });

  it.each([
    ['a broken signature', (i: OidcIssuer) => i.corruptNextIdTokenSignature(), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    ['a wrong nonce', (i: OidcIssuer) => i.rewriteNextIdToken((claims) => ({ ...claims, nonce: 'someone-elses-nonce' })), /nonce mismatch/],
    ['another audience', (i: OidcIssuer) => i.rewriteNextIdToken((claims) => ({ ...claims, aud: 'another-client' })), /ERR_JWT_CLAIM_VALIDATION_FAILED aud/],
    ['another issuer', (i: OidcIssuer) => i.rewriteNextIdToken((claims) => ({ ...claims, iss: 'https://evil.example' })), /ERR_JWT_CLAIM_VALIDATION_FAILED iss/],
    ['no nonce at all', (i: OidcIssuer) => i.rewriteNextIdToken(({ nonce: _nonce, ...claims }) => claims), /nonce mismatch/],
  ])('refuses an ID token with %s: no code reaches the loopback', async (_label, tamper, reason) => {
    tamper(issuer);
    const { params } = await clickThrough(`victim-${randomBytes(3).toString('hex')}`);
    expect(params.get('code')).toBeNull();
    expect(params.get('error')).toBe('provider_error');
    expect(params.get('error_description')).toMatch(/ID token was refused/);
    expect(params.get('error_description')).toMatch(reason);
  });
});
