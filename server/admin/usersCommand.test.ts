import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tokenPairResponse } from '../../protocol/api.js';
import { TEST_PASSWORD, uniqueUsername } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { LIVE_SESSION_CACHE_MS } from '../auth/liveSessionCache.js';
import { runUsersCommand } from './usersCommand.js';

/** Runs `netdisk-server users …` on the test server's data folder, as the operator would beside the running service. */
async function users(server: TestServer, argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runUsersCommand([...argv, '--data', server.config.dataDir], {
    readStdin: async () => stdin,
    out: (text) => { out += text; },
    err: (text) => { err += text; },
    // The service's own database: its data folder's SQLite, or the PostgreSQL database the test server was given.
    env: server.config.databaseUrl ? { NETDISK_DATABASE_URL: server.config.databaseUrl } : {},
  });
  return { code, out, err };
}

describe('netdisk-server users (registration closed)', () => {
  let now = Date.now();
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer((config) => { config.registration = 'closed'; }, { now: () => now }); });
  afterAll(async () => { await server.close(); });

  const login = (username: string, password: string) => jsonRequest(server.api, 'POST', '/auth/login', { body: { username, password } });

  test('add creates an account that signs in; list shows it; disable refuses it and ends its sessions; enable and reset-password', async () => {
    const name = uniqueUsername('ops');
    const added = await users(server, ['add', name], `${TEST_PASSWORD}\n`);
    expect(added.code).toBe(0);
    expect(added.out).toContain(`added ${name}`);
    const pair = tokenPairResponse.parse((await login(name, TEST_PASSWORD)).body);
    const me = () => jsonRequest(server.api, 'GET', '/me', { headers: { authorization: `Bearer ${pair.accessToken}` } });
    expect((await me()).status).toBe(200);

    expect((await users(server, ['list'])).out).toMatch(new RegExp(`^${name}\\tactive\\t\\d{4}-.*\\t${pair.user.id}$`, 'm'));

    expect((await users(server, ['disable', name])).code).toBe(0);
    expect((await users(server, ['list'])).out).toMatch(new RegExp(`^${name}\\tdisabled\\t`, 'm'));
    // The running service sees another process's revocation within the cache bound.
    now += LIVE_SESSION_CACHE_MS + 1;
    expect(errorCodeOf(await me())).toBe('unauthorized');
    expect((await jsonRequest(server.api, 'POST', '/auth/refresh', { body: { refreshToken: pair.refreshToken } })).status).toBe(401);
    const refused = await login(name, TEST_PASSWORD);
    expect([refused.status, errorCodeOf(refused)]).toEqual([403, 'forbidden']);
    // A wrong password still gets the usual answer: being disabled is told only to the owner.
    expect(errorCodeOf(await login(name, 'not the password'))).toBe('invalid_credentials');

    expect((await users(server, ['enable', name])).code).toBe(0);
    expect((await login(name, TEST_PASSWORD)).status).toBe(200);
    expect((await users(server, ['reset-password', name], 'a brand new password\r\n')).code).toBe(0);
    expect(errorCodeOf(await login(name, TEST_PASSWORD))).toBe('invalid_credentials');
    expect((await login(name, 'a brand new password')).status).toBe(200);
  // Eleven memory-hard password hashes, each CPU-bound: on two busy cores they alone can take 30 s.
  }, 90_000);

  test('bad use exits 2 with the usage and changes nothing', async () => {
    const before = (await users(server, ['list'])).out;
    for (const [argv, stdin] of [
      [['add', 'has space'], `${TEST_PASSWORD}\n`], [['add', uniqueUsername('short')], 'short\n'], [['disable', 'nobody-here']],
      [['frobnicate', 'x']], [[]], [['list', '--bogus']],
    ] as [string[], string?][]) {
      const result = await users(server, argv, stdin);
      expect([argv.join(' '), result.code]).toEqual([argv.join(' '), 2]);
      expect(result.err).toContain('usage: netdisk-server users');
      if (argv[0] === 'frobnicate') expect(result.err).toContain('unknown command "frobnicate"');
    }
    const existing = uniqueUsername('dup');
    await users(server, ['add', existing], `${TEST_PASSWORD}\n`);
    const duplicate = await users(server, ['add', existing.toUpperCase()], `${TEST_PASSWORD}\n`);
    expect(duplicate.code).toBe(2);
    expect(duplicate.err).toContain('taken');
    expect((await users(server, ['list'])).out.split('\n').length).toBe(before.split('\n').length + 1);
  });
});
