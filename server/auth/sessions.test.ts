import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sessionsResponse, tokenPairResponse, type TokenPair } from '../../protocol/api.js';
import { signUp, TEST_PASSWORD } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { countRows, queryServerDb } from '../../test/helpers/serverDb.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { LIVE_SESSION_CACHE_MS } from './liveSessionCache.js';

describe('refresh tokens and device sessions', () => {
  let now = Date.UTC(2030, 0, 1);
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(() => {}, { now: () => now }); });
  afterAll(async () => { await server.close(); });

  const refresh = (refreshToken: string) => jsonRequest(server.api, 'POST', '/auth/refresh', { body: { refreshToken } });
  const logout = (refreshToken: string) => jsonRequest(server.api, 'POST', '/auth/logout', { body: { refreshToken } });
  const bearer = (pair: TokenPair) => ({ authorization: `Bearer ${pair.accessToken}` });
  const sessions = async (headers: { authorization: string }) => {
    const response = await jsonRequest(server.api, 'GET', '/auth/sessions', { headers });
    expect(response.status).toBe(200);
    return sessionsResponse.parse(response.body).sessions;
  };
  async function login(username: string, deviceName: string): Promise<TokenPair> {
    const response = await jsonRequest(server.api, 'POST', '/auth/login', { body: { username, password: TEST_PASSWORD, deviceName } });
    expect(response.status).toBe(200);
    return tokenPairResponse.parse(response.body);
  }
  /** The account's sessions as a fresh sign-in sees them, without that new one: a signed-out token can no longer ask. */
  const otherSessions = async (username: string) =>
    (await sessions(bearer(await login(username, 'inspector')))).filter((session) => !session.current);

  test('refresh rotates: a new pair in the same session, and the new access token works', async () => {
    const account = await signUp(server.api);
    now += 1000;
    const response = await refresh(account.refreshToken);
    expect(response.status).toBe(200);
    const next = tokenPairResponse.parse(response.body);
    expect(next.refreshToken).not.toBe(account.refreshToken);
    expect(next.user).toEqual(account.user);
    expect(decodeJwt(next.accessToken).sid).toBe(decodeJwt(account.accessToken).sid);
    expect((await jsonRequest(server.api, 'GET', '/me', { headers: bearer(next) })).status).toBe(200);
    expect((await refresh(next.refreshToken)).status).toBe(200);
  });

  test('replaying a used refresh token revokes the whole family, including its successor', async () => {
    const account = await signUp(server.api);
    const successor = tokenPairResponse.parse((await refresh(account.refreshToken)).body);

    const replay = await refresh(account.refreshToken);
    expect(replay.status).toBe(401);
    expect(errorCodeOf(replay)).toBe('refresh_token_reused');

    const sibling = await refresh(successor.refreshToken);
    expect(sibling.status).toBe(401);
    expect(errorCodeOf(sibling)).toBe('refresh_token_reused');
    expect(await otherSessions(account.user.username)).toEqual([]);
  });

  test('two concurrent refreshes with one token: exactly one wins', async () => {
    const account = await signUp(server.api);
    const answers = await Promise.all([refresh(account.refreshToken), refresh(account.refreshToken)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    const loser = answers.find((a) => a.status === 401)!;
    expect(errorCodeOf(loser)).toBe('refresh_token_reused');
  });

  test('an unknown or expired refresh token is unauthorized and changes nothing', async () => {
    const rows = await countRows(server, 'refresh_tokens');
    const unknown = await refresh('A'.repeat(43));
    expect(unknown.status).toBe(401);
    expect(errorCodeOf(unknown)).toBe('unauthorized');
    expect(await countRows(server, 'refresh_tokens')).toBe(rows);

    const account = await signUp(server.api);
    now += server.config.refreshTtlSeconds * 1000;
    const expired = await refresh(account.refreshToken);
    expect(expired.status).toBe(401);
    expect(errorCodeOf(expired)).toBe('unauthorized');
    expect(await otherSessions(account.user.username)).toEqual([]);
  });

  test('malformed refresh bodies are invalid_request', async () => {
    for (const body of [{}, { refreshToken: '' }, { refreshToken: 'x'.repeat(513) }, { refreshToken: 42 }]) {
      const response = await jsonRequest(server.api, 'POST', '/auth/refresh', { body });
      expect(response.status).toBe(400);
      expect(errorCodeOf(response)).toBe('invalid_request');
    }
  });

  test('refresh tokens are stored only as their SHA-256', async () => {
    const account = await signUp(server.api);
    const stored = await queryServerDb(server, 'SELECT * FROM refresh_tokens WHERE user_id = ?', [account.user.id]);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).toBe(createHash('sha256').update(account.refreshToken).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(account.refreshToken);
  });

  test('logout revokes the session: its refresh token stops working', async () => {
    const account = await signUp(server.api);
    const out = await logout(account.refreshToken);
    expect(out.status).toBe(204);
    expect(out.body).toBeUndefined();
    expect((await refresh(account.refreshToken)).status).toBe(401);
    expect(await otherSessions(account.user.username)).toEqual([]);
    // Signing out twice, or with an unknown token, is not an error.
    expect((await logout(account.refreshToken)).status).toBe(204);
    expect((await logout('B'.repeat(43))).status).toBe(204);
  });

  test('sessions: listed per device with the current one marked; deleting one signs that device out', async () => {
    const account = await signUp(server.api);
    now += 5000;
    const laptop = await login(account.user.username, 'laptop');
    now += 5000;
    const phone = await login(account.user.username, 'phone');
    now += 5000;
    const rotatedPhone = tokenPairResponse.parse((await refresh(phone.refreshToken)).body);

    const listed = await sessions(bearer(laptop));
    expect(listed.map((s) => [s.deviceName, s.current])).toEqual([['test', false], ['laptop', true], ['phone', false]]);
    const phoneSession = listed.find((s) => s.deviceName === 'phone')!;
    expect(phoneSession.id).toBe(decodeJwt(phone.accessToken).sid);
    expect(phoneSession.lastUsedAt).toBe(now);
    expect(phoneSession.createdAt).toBe(now - 5000);

    const removed = await jsonRequest(server.api, 'DELETE', `/auth/sessions/${phoneSession.id}`, { headers: bearer(laptop) });
    expect(removed.status).toBe(204);
    expect((await refresh(rotatedPhone.refreshToken)).status).toBe(401);
    expect((await sessions(bearer(laptop))).map((s) => s.deviceName)).toEqual(['test', 'laptop']);

    const again = await jsonRequest(server.api, 'DELETE', `/auth/sessions/${phoneSession.id}`, { headers: bearer(laptop) });
    expect(again.status).toBe(404);
    expect(errorCodeOf(again)).toBe('not_found');
  });

  test("another user's session cannot be seen or deleted", async () => {
    const alice = await signUp(server.api);
    const mallory = await signUp(server.api);
    const aliceSession = decodeJwt(alice.accessToken).sid as string;

    expect((await sessions(mallory.auth)).map((s) => s.id)).not.toContain(aliceSession);
    const attempt = await jsonRequest(server.api, 'DELETE', `/auth/sessions/${aliceSession}`, { headers: mallory.auth });
    expect(attempt.status).toBe(404);
    expect(errorCodeOf(attempt)).toBe('not_found');
    expect((await refresh(alice.refreshToken)).status).toBe(200);
  });

  test('the session routes require a bearer token', async () => {
    expect((await jsonRequest(server.api, 'GET', '/auth/sessions')).status).toBe(401);
    expect((await jsonRequest(server.api, 'DELETE', '/auth/sessions/whatever')).status).toBe(401);
  });
});

describe('access tokens end with their session, at once', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  const me = (accessToken: string) => jsonRequest(server.api, 'GET', '/me', { headers: { authorization: `Bearer ${accessToken}` } });
  async function expectSignedOut(accessToken: string): Promise<void> {
    const response = await me(accessToken);
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe('unauthorized');
  }

  test('logout: the access token of the session is refused on the next request', async () => {
    const account = await signUp(server.api);
    // Used once first, so a cached "live" answer is what logout has to undo.
    expect((await me(account.accessToken)).status).toBe(200);
    await jsonRequest(server.api, 'POST', '/auth/logout', { body: { refreshToken: account.refreshToken } });
    await expectSignedOut(account.accessToken);
  });

  test("signing out another device: that device's access token is refused, this one's still works", async () => {
    const account = await signUp(server.api);
    const login = await jsonRequest(server.api, 'POST', '/auth/login', { body: { username: account.user.username, password: TEST_PASSWORD, deviceName: 'phone' } });
    const phone = tokenPairResponse.parse(login.body);
    expect((await me(phone.accessToken)).status).toBe(200);
    const sid = decodeJwt(phone.accessToken).sid as string;
    expect((await jsonRequest(server.api, 'DELETE', `/auth/sessions/${sid}`, { headers: account.auth })).status).toBe(204);
    await expectSignedOut(phone.accessToken);
    expect((await me(account.accessToken)).status).toBe(200);
  });

  test('a replayed refresh token: every access token of the revoked family is refused', async () => {
    const account = await signUp(server.api);
    const successor = tokenPairResponse.parse((await jsonRequest(server.api, 'POST', '/auth/refresh', { body: { refreshToken: account.refreshToken } })).body);
    expect((await me(successor.accessToken)).status).toBe(200);
    expect(errorCodeOf(await jsonRequest(server.api, 'POST', '/auth/refresh', { body: { refreshToken: account.refreshToken } }))).toBe('refresh_token_reused');
    await expectSignedOut(successor.accessToken);
    await expectSignedOut(account.accessToken);
  });

  test('a revocation written by another process (a second connection to the database) is seen within the cache bound', async () => {
    let now = Date.now();
    const own = await startTestServer(() => {}, { now: () => now });
    try {
      const account = await signUp(own.api);
      const ask = () => jsonRequest(own.api, 'GET', '/me', { headers: account.auth });
      expect((await ask()).status).toBe(200);
      await queryServerDb(own, 'UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ?', [now, account.user.id]);
      now += LIVE_SESSION_CACHE_MS + 1;
      const response = await ask();
      expect(response.status).toBe(401);
      expect(errorCodeOf(response)).toBe('unauthorized');
    } finally {
      await own.close();
    }
  });
});
