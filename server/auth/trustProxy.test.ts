import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueUsername } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';

/** One registration an hour per client address makes the address the service sees observable. */
async function register(server: TestServer, forwardedFor: string): Promise<number> {
  const response = await jsonRequest(server.api, 'POST', '/auth/register', {
    body: { username: uniqueUsername('proxied'), password: 'a long enough password' },
    headers: { 'x-forwarded-for': forwardedFor },
  });
  if (response.status === 429) expect(errorCodeOf(response)).toBe('rate_limited');
  return response.status;
}

describe('client addresses behind a load balancer (NETDISK_TRUST_PROXY)', () => {
  let trusting: TestServer;
  let plain: TestServer;
  beforeAll(async () => {
    const oneAnHour = (trustedProxies: string[]) => (config: TestServer['config']) => {
      config.limits.registrationsPerHour = 1;
      config.trustedProxies = trustedProxies;
    };
    [trusting, plain] = await Promise.all([startTestServer(oneAnHour(['127.0.0.1', '::1'])), startTestServer(oneAnHour([]))]);
  });
  afterAll(async () => { await Promise.all([trusting.close(), plain.close()]); });

  it('counts each forwarded client on its own when the peer is a trusted proxy', async () => {
    expect(await register(trusting, '203.0.113.1')).toBe(201);
    expect(await register(trusting, '203.0.113.1')).toBe(429);
    expect(await register(trusting, '203.0.113.2')).toBe(201);
  });

  it('takes the address the trusted proxy saw, not one the client put in front of it', async () => {
    expect(await register(trusting, '198.51.100.7, 203.0.113.3')).toBe(201);
    // A new address of the client's choosing on the left changes nothing: the proxy appended the real one.
    expect(await register(trusting, '198.51.100.8, 203.0.113.3')).toBe(429);
  });

  it('ignores X-Forwarded-For from an untrusted peer, so a client cannot pick its own address', async () => {
    expect(await register(plain, '203.0.113.1')).toBe(201);
    expect(await register(plain, '203.0.113.2')).toBe(429);
  });
});
