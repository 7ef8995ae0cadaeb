import { statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { meResponse, registerResponse, tokenPairResponse } from '../../protocol/api.js';
import { signUp, TEST_PASSWORD, uniqueUsername } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { countRows, queryServerDb } from '../../test/helpers/serverDb.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { parseStoredHash, PasswordHasher } from './passwords.js';
import { KEY_FILE_NAME } from './signingKeys.js';

describe('password accounts', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  test('register, log in, and /me answer the same user', async () => {
    const username = uniqueUsername('Dana');
    const registered = await jsonRequest(server.api, 'POST', '/auth/register', { body: { username, password: 'a long enough password' } });
    expect(registered.status).toBe(201);
    const { user } = registerResponse.parse(registered.body);
    expect(user).toMatchObject({ username, displayName: username });

    const login = await jsonRequest(server.api, 'POST', '/auth/login', { body: { username, password: 'a long enough password', deviceName: 'laptop' } });
    expect(login.status).toBe(200);
    const pair = tokenPairResponse.parse(login.body);
    expect(pair.user).toEqual(user);
    expect(pair.expiresIn).toBe(server.config.jwt.accessTtlSeconds);
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const claims = decodeJwt(pair.accessToken);
    expect(claims.sub).toBe(user.id);
    expect(typeof claims.sid).toBe('string');

    const me = await jsonRequest(server.api, 'GET', '/me', { headers: { authorization: `Bearer ${pair.accessToken}` } });
    expect(me.status).toBe(200);
    expect(meResponse.parse(me.body).user).toEqual(user);
  });

  test('the signUp helper yields a working bearer header', async () => {
    const account = await signUp(server.api);
    const me = await jsonRequest(server.api, 'GET', '/me', { headers: account.auth });
    expect(meResponse.parse(me.body).user.id).toBe(account.user.id);
  });

  test('usernames are unique regardless of case, and a refused register stores nothing', async () => {
    const username = uniqueUsername('Erin');
    await signUp(server.api, username);
    const users = await countRows(server, 'users');
    const links = await countRows(server, 'user_auth');
    const again = await jsonRequest(server.api, 'POST', '/auth/register', { body: { username: username.toUpperCase(), password: 'another password' } });
    expect(again.status).toBe(409);
    expect(errorCodeOf(again)).toBe('username_taken');
    expect(await countRows(server, 'users')).toBe(users);
    expect(await countRows(server, 'user_auth')).toBe(links);
  });

  test('a login with the name in another case finds the account', async () => {
    const username = uniqueUsername('Frank');
    await signUp(server.api, username);
    const login = await jsonRequest(server.api, 'POST', '/auth/login', { body: { username: username.toLowerCase(), password: TEST_PASSWORD } });
    expect(login.status).toBe(200);
  });

  test.each([
    ['password too short', { username: 'gina-short', password: 'short' }],
    ['username with a space', { username: 'gina smith', password: 'long enough password' }],
    ['username too short', { username: 'gi', password: 'long enough password' }],
    ['missing password', { username: 'gina-nopass' }],
    ['password not a string', { username: 'gina-number', password: 12345678 }],
    ['not an object', ['gina', 'long enough password']],
  ])('register refuses %s with invalid_request and stores nothing', async (_label, body) => {
    const users = await countRows(server, 'users');
    const response = await jsonRequest(server.api, 'POST', '/auth/register', { body });
    expect(response.status).toBe(400);
    expect(errorCodeOf(response)).toBe('invalid_request');
    expect(await countRows(server, 'users')).toBe(users);
  });

  test('malformed JSON and malformed login bodies are invalid_request', async () => {
    const raw = await fetch(`${server.api}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    for (const body of [{}, { username: 'x' }, { username: 'x', password: '' }, { username: 'x', password: 'y', deviceName: 'd'.repeat(129) }]) {
      const response = await jsonRequest(server.api, 'POST', '/auth/login', { body });
      expect(response.status).toBe(400);
      expect(errorCodeOf(response)).toBe('invalid_request');
    }
  });

  test('a wrong password and an unknown user get the very same answer', async () => {
    const { user } = await signUp(server.api);
    const wrong = await jsonRequest(server.api, 'POST', '/auth/login', { body: { username: user.username, password: 'not the password' } });
    const unknown = await jsonRequest(server.api, 'POST', '/auth/login', { body: { username: uniqueUsername('nobody'), password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(errorCodeOf(wrong)).toBe('invalid_credentials');
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
  });

  test('a refused login starts no session', async () => {
    const { user } = await signUp(server.api);
    const before = await countRows(server, 'refresh_tokens');
    await jsonRequest(server.api, 'POST', '/auth/login', { body: { username: user.username, password: 'not the password' } });
    expect(await countRows(server, 'refresh_tokens')).toBe(before);
  });

  test('the stored password is an scrypt hash with the configured cost, and a provider link exists', async () => {
    const { user } = await signUp(server.api);
    const { N, r, p } = server.config.scrypt;
    const [row] = await queryServerDb(server, 'SELECT password_hash FROM users WHERE id = ?', [user.id]) as { password_hash: string }[];
    expect(row!.password_hash).not.toContain(TEST_PASSWORD);
    expect(row!.password_hash).toMatch(new RegExp(`^scrypt\\$${N}\\$${r}\\$${p}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
    const link = await queryServerDb(server, 'SELECT provider, provider_id FROM user_auth WHERE user_id = ?', [user.id]);
    expect(link).toEqual([{ provider: 'password', provider_id: user.id }]);
  });

  test('the auth routes are in the OpenAPI document, protected ones with bearer security', async () => {
    const doc = (await jsonRequest(server.api, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { security?: unknown }>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout',
      '/api/v1/me', '/api/v1/auth/sessions', '/api/v1/auth/sessions/{id}',
    ]));
    expect(doc.paths['/api/v1/auth/sessions/{id}']!.delete!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/auth/login']!.post!.security).toBeUndefined();
    const me = JSON.stringify(doc.paths['/api/v1/me']!.get);
    for (const field of ['storage', 'usedBytes', 'reservedBytes', 'quotaBytes', 'quota_exceeded']) expect(me).toContain(field);
  });

  test('a password stored at another cost is rehashed at the configured cost on sign-in', async () => {
    const { user } = await signUp(server.api);
    const oldHash = await new PasswordHasher({ N: 2 ** 10, r: 4, p: 1 }).hash(TEST_PASSWORD);
    const storedHash = async () => (await queryServerDb(server, 'SELECT password_hash FROM users WHERE id = ?', [user.id]))[0]!.password_hash as string;
    await queryServerDb(server, 'UPDATE users SET password_hash = ? WHERE id = ?', [oldHash, user.id]);

    const login = await jsonRequest(server.api, 'POST', '/auth/login', { body: { username: user.username, password: TEST_PASSWORD } });
    expect(login.status).toBe(200);
    const rehashed = await storedHash();
    expect(parseStoredHash(rehashed).cost).toEqual(server.config.scrypt);

    // A failed sign-in leaves the stored hash alone.
    await jsonRequest(server.api, 'POST', '/auth/login', { body: { username: user.username, password: 'not the password' } });
    expect(await storedHash()).toBe(rehashed);
  });

  test('the generated signing key file is private (0600)', () => {
    expect(statSync(join(server.config.dataDir, KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
  });
});

/** A JSON POST sent from another loopback address (all of 127.0.0.0/8 is this machine), as another client would. */
function postFrom(localAddress: string, url: string, body: unknown): Promise<{ status: number; retryAfter: string | undefined; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => {
        const parsed = text ? (JSON.parse(text) as { error?: { code: string } }) : {};
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], code: parsed.error?.code });
      });
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

describe('login throttling by address and username', () => {
  let now = Date.UTC(2030, 0, 1);
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(() => {}, { now: () => now }); });
  afterAll(async () => { await server.close(); });

  const loginFrom = (address: string, username: string, password: string) =>
    postFrom(address, `${server.api}/auth/login`, { username, password });

  test('guesses from one address get growing delays there, and never lock the owner out elsewhere', async () => {
    const { user } = await signUp(server.api);
    const attacker = '127.0.0.2';
    for (let i = 0; i < 5; i++) expect((await loginFrom(attacker, user.username, `guess ${i}`)).status).toBe(401);
    const waits: string[] = [];
    for (let i = 0; i < 6; i++) {
      const refused = await loginFrom(attacker, user.username.toUpperCase(), TEST_PASSWORD);
      expect([refused.status, refused.code]).toEqual([429, 'rate_limited']);
      waits.push(refused.retryAfter!);
      now += Number(refused.retryAfter) * 1000;
      expect((await loginFrom(attacker, user.username, `guess again ${i}`)).status).toBe(401);
    }
    expect(waits).toEqual(['1', '2', '4', '8', '16', '32']);
    // Eleven wrong passwords later, the owner at another address signs in at once.
    expect((await loginFrom('127.0.0.3', user.username, TEST_PASSWORD)).status).toBe(200);
    // And the attacker's address still waits, even with the right password.
    expect((await loginFrom(attacker, user.username, TEST_PASSWORD)).status).toBe(429);
  });

  test('one address trying many usernames is stopped after 100 failures; other addresses are not', async () => {
    now += 60 * 60 * 1000;
    const { user } = await signUp(server.api);
    const sprayer = '127.0.0.4';
    for (let i = 0; i < 100; i++) expect((await loginFrom(sprayer, uniqueUsername('ghost'), 'some password')).status).toBe(401);
    const locked = await loginFrom(sprayer, user.username, TEST_PASSWORD);
    expect([locked.status, locked.code]).toEqual([429, 'rate_limited']);
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    expect((await loginFrom('127.0.0.5', user.username, TEST_PASSWORD)).status).toBe(200);
  });
});

describe('registration limits', () => {
  test('registrations are limited per address per hour (NETDISK_REGISTRATIONS_PER_HOUR)', async () => {
    let now = Date.UTC(2030, 0, 1);
    const server = await startTestServer((config) => { config.limits.registrationsPerHour = 2; }, { now: () => now });
    try {
      const register = (address: string) => postFrom(address, `${server.api}/auth/register`, { username: uniqueUsername('reg'), password: TEST_PASSWORD });
      expect((await register('127.0.0.6')).status).toBe(201);
      expect((await register('127.0.0.6')).status).toBe(201);
      const third = await register('127.0.0.6');
      expect([third.status, third.code]).toEqual([429, 'rate_limited']);
      expect(Number(third.retryAfter)).toBeGreaterThan(0);
      expect((await register('127.0.0.7')).status).toBe(201);
      now += 60 * 60 * 1000 + 1;
      expect((await register('127.0.0.6')).status).toBe(201);
    } finally {
      await server.close();
    }
  });

  test('NETDISK_REGISTRATION=closed: register is 403 forbidden and creates nothing', async () => {
    const server = await startTestServer((config) => { config.registration = 'closed'; });
    try {
      const users = await countRows(server, 'users');
      const response = await jsonRequest(server.api, 'POST', '/auth/register', { body: { username: uniqueUsername('closed'), password: TEST_PASSWORD } });
      expect([response.status, errorCodeOf(response)]).toEqual([403, 'forbidden']);
      expect(await countRows(server, 'users')).toBe(users);
    } finally {
      await server.close();
    }
  });
});
