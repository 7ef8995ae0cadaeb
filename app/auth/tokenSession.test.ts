import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { meResponse } from '../../protocol/api.js';
import { signUp, TEST_PASSWORD } from '../../test/helpers/accounts.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { SyncError } from '../errors.js';
import { ApiClient } from '../remote/apiClient.js';
import { credentialAccount } from './credentialStore.js';
import { FileCredentialStore } from './fileCredentialStore.js';
import { TokenSession, type SessionState } from './tokenSession.js';

/** Counts requests per URL path as they reach the real service. */
function countRequests(server: TestServer): Map<string, number> {
  const counts = new Map<string, number>();
  server.app.server.on('request', (request: IncomingMessage) => {
    const path = (request.url ?? '').split('?')[0]!;
    counts.set(path, (counts.get(path) ?? 0) + 1);
  });
  return counts;
}

function me(session: TokenSession, api: ApiClient) {
  return session.authorized((accessToken) => api.call({ method: 'GET', path: '/me', accessToken }, meResponse));
}

describe('TokenSession against the real service', () => {
  let server: TestServer;
  let counts: Map<string, number>;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startTestServer((config) => {
      config.jwt.accessTtlSeconds = 2;
    });
    counts = countRequests(server);
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    counts.clear();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function setup(clock = { now: Date.now }) {
    const dir = mkdtempSync(join(tmpdir(), 'netdisk-session-'));
    dirs.push(dir);
    const credentials = new FileCredentialStore(dir);
    const api = new ApiClient(server.url);
    const session = new TokenSession({ api, credentials, clock });
    const states: [SessionState, string | undefined][] = [];
    session.onStateChange((state, reason) => states.push([state, reason?.detail.serviceCode]));
    return { credentials, api, session, states };
  }

  it('logs in with a password, stores the refresh token, and calls /me', async () => {
    const { user } = await signUp(server.api);
    const { api, session, credentials, states } = setup();
    const signedIn = await session.login(user.username, TEST_PASSWORD, 'vitest');
    expect(signedIn.id).toBe(user.id);
    expect(session.state).toBe('signed_in');
    expect(states).toEqual([['signed_in', undefined]]);
    expect(await credentials.get(credentialAccount(server.url, user.username))).toMatch(/.{16,}/);
    expect((await me(session, api)).user.username).toBe(user.username);
  });

  it('refuses a wrong password with a typed error and stays signed out', async () => {
    const { user } = await signUp(server.api);
    const { session } = setup();
    const error = await session.login(user.username, 'wrong password!').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).detail).toMatchObject({ status: 401, serviceCode: 'invalid_credentials' });
    expect(session.state).toBe('signed_out');
  });

  it('refreshes proactively before expiry, once for a burst, rotating the stored refresh token', async () => {
    const { user } = await signUp(server.api);
    let now = 1_000_000;
    const { api, session, credentials } = setup({ now: () => now });
    await session.login(user.username, TEST_PASSWORD);
    const account = credentialAccount(server.url, user.username);
    const firstRefreshToken = await credentials.get(account);
    counts.clear();

    now += 10_000; // far past the 2 s lifetime, as the session's clock sees it
    const answers = await Promise.all(Array.from({ length: 10 }, () => me(session, api)));
    expect(answers.every((answer) => answer.user.id === user.id)).toBe(true);
    expect(counts.get('/api/v1/auth/refresh')).toBe(1);
    expect(counts.get('/api/v1/me')).toBe(10);
    const rotated = await credentials.get(account);
    expect(rotated).not.toBeNull();
    expect(rotated).not.toBe(firstRefreshToken);
  });

  it('answers a burst of 401 token_expired with exactly one refresh', async () => {
    const { user } = await signUp(server.api);
    // A frozen clock: the session never sees its token age, only the service's 401s tell it.
    const { api, session } = setup({ now: () => 0 });
    await session.login(user.username, TEST_PASSWORD);
    const stale = await session.accessToken();
    for (;;) {
      const error = await api.call({ method: 'GET', path: '/me', accessToken: stale }, meResponse).then(() => null, (e: unknown) => e);
      if (error) {
        expect((error as SyncError).detail.serviceCode).toBe('token_expired');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    counts.clear();

    const answers = await Promise.all(Array.from({ length: 10 }, () => me(session, api)));
    expect(answers.map((answer) => answer.user.id)).toEqual(Array(10).fill(user.id));
    expect(counts.get('/api/v1/auth/refresh')).toBe(1);
    expect(counts.get('/api/v1/me')).toBe(20);
    expect(await session.accessToken()).not.toBe(stale);
  });

  it('signs out on a reused refresh token, then fails fast without calling the service', async () => {
    const { user } = await signUp(server.api);
    let now = 0;
    const first = setup({ now: () => now });
    await first.session.login(user.username, TEST_PASSWORD);
    const account = credentialAccount(server.url, user.username);
    const copied = (await first.credentials.get(account))!;

    // The same refresh token in a second store: once the first session rotates it, the copy is a reused dead token.
    const second = setup({ now: () => now });
    await second.credentials.set(account, copied);
    expect(await second.session.resume(user.username)).toBe(true);

    now += 60_000;
    await me(first.session, first.api);
    const reuse = await me(second.session, second.api).catch((e: unknown) => e);
    expect(reuse).toBeInstanceOf(SyncError);
    expect((reuse as SyncError).code).toBe('signed_out');
    expect((reuse as SyncError).detail.serviceCode).toBe('refresh_token_reused');
    expect(second.session.state).toBe('signed_out');
    expect(second.states).toEqual([['signed_in', undefined], ['signed_out', 'refresh_token_reused']]);
    expect(await second.credentials.get(account)).toBeNull();

    // Reuse revoked the whole family, so the first session's next refresh is refused too.
    now += 60_000;
    const revoked = await me(first.session, first.api).catch((e: unknown) => e);
    expect((revoked as SyncError).code).toBe('signed_out');
    expect(first.session.state).toBe('signed_out');

    counts.clear();
    const fast = await me(first.session, first.api).catch((e: unknown) => e);
    expect((fast as SyncError).code).toBe('signed_out');
    expect(counts.size).toBe(0);
  });

  it('logs out: the family is revoked on the service and the stored secret is deleted', async () => {
    const { user } = await signUp(server.api);
    const { session, credentials, states } = setup();
    await session.login(user.username, TEST_PASSWORD);
    const account = credentialAccount(server.url, user.username);
    const refreshToken = (await credentials.get(account))!;
    await session.logout();
    expect(session.state).toBe('signed_out');
    expect(states.at(-1)).toEqual(['signed_out', undefined]);
    expect(await credentials.get(account)).toBeNull();
    const refresh = await fetch(`${server.api}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
    expect(refresh.status).toBe(401);
    await expect(session.accessToken()).rejects.toMatchObject({ code: 'signed_out' });
  });
});
