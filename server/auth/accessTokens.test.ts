import { randomBytes } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { queryServerDb } from '../../test/helpers/serverDb.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { AccessTokens, type AccessTokenOptions } from './accessTokens.js';
import { loadSigningKeys, type SigningKeyRing } from './signingKeys.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('bearer access tokens on a protected route', () => {
  let server: TestServer;
  let account: SignedUpUser;
  let ring: SigningKeyRing;
  let options: AccessTokenOptions;
  /** The account's live session: forged tokens name it, so only the forged detail can fail them. */
  let sid: string;

  beforeAll(async () => {
    server = await startTestServer();
    account = await signUp(server.api);
    // The server's own key file: forged tokens below differ from a valid one in one respect only.
    ring = loadSigningKeys(server.config.dataDir);
    options = { issuer: server.config.jwt.issuer, audience: server.config.jwt.audience, ttlSeconds: 300 };
    sid = decodeJwt(account.accessToken).sid as string;
  });
  afterAll(async () => { await server.close(); });

  const me = (headers: Record<string, string>) => jsonRequest(server.api, 'GET', '/me', { headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  test('a token minted with the right key and claims is accepted (the control for the cases below)', async () => {
    const token = await new AccessTokens(ring, options).issue(account.user.id, sid);
    expect((await me(bearer(token))).status).toBe(200);
  });

  test.each([
    ['no Authorization header', {}],
    ['a Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a Bearer header without a token', { authorization: 'Bearer ' }],
    ['a token with spaces in it', { authorization: 'Bearer a b c' }],
    ['a garbage token', { authorization: 'Bearer abc.def.ghi' }],
    ['a random string', { authorization: `Bearer ${randomBytes(24).toString('base64url')}` }],
  ])('%s -> 401 unauthorized', async (_label, headers) => {
    const response = await me(headers);
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe('unauthorized');
  });

  test('a well-signed token without a session id (sid) is refused: it could never be signed out', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: ring.current.kid, typ: 'JWT' })
      .setSubject(account.user.id).setIssuer(options.issuer).setAudience(options.audience)
      .setIssuedAt(now).setExpirationTime(now + 300)
      .sign(ring.current.secret);
    const response = await me(bearer(token));
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe('unauthorized');
  });

  test('a well-signed token naming a session that does not exist is refused', async () => {
    const token = await new AccessTokens(ring, options).issue(account.user.id, 'no-such-session');
    expect(errorCodeOf(await me(bearer(token)))).toBe('unauthorized');
  });

  test("a well-signed token pairing one user with another user's session is refused", async () => {
    const other = await signUp(server.api);
    const token = await new AccessTokens(ring, options).issue(other.user.id, sid);
    expect(errorCodeOf(await me(bearer(token)))).toBe('unauthorized');
  });

  test('an unsigned token (alg: none) is refused, even with a known kid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: account.user.id, iss: options.issuer, aud: options.audience, iat: now, exp: now + 300 };
    for (const header of [{ alg: 'none', typ: 'JWT' }, { alg: 'none', typ: 'JWT', kid: ring.current.kid }]) {
      const response = await me(bearer(`${b64(header)}.${b64(claims)}.`));
      expect(response.status).toBe(401);
      expect(errorCodeOf(response)).toBe('unauthorized');
    }
  });

  test('a token signed with another secret under the real kid is refused', async () => {
    const forged = { kid: ring.current.kid, secret: randomBytes(32) };
    const token = await new AccessTokens({ current: forged, byKid: new Map([[forged.kid, forged]]) }, options).issue(account.user.id, sid);
    const response = await me(bearer(token));
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe('unauthorized');
  });

  test('a token signed under an unknown kid is refused', async () => {
    const stranger = { kid: 'someone-else', secret: ring.current.secret };
    const token = await new AccessTokens({ current: stranger, byKid: new Map([[stranger.kid, stranger]]) }, options).issue(account.user.id, sid);
    expect(errorCodeOf(await me(bearer(token)))).toBe('unauthorized');
  });

  test.each([
    ['issuer', { issuer: 'https://evil.example' }],
    ['audience', { audience: 'another-app' }],
  ])('a token for the wrong %s is refused', async (_label, wrong) => {
    const token = await new AccessTokens(ring, { ...options, ...wrong }).issue(account.user.id, sid);
    const response = await me(bearer(token));
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe('unauthorized');
  });

  test('an expired token gets token_expired', async () => {
    const token = await new AccessTokens(ring, { ...options, ttlSeconds: -60 }).issue(account.user.id, sid);
    const response = await me(bearer(token));
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe('token_expired');
  });

  test('a valid token of a deleted account gets 401 unauthorized on /me', async () => {
    const doomed = await signUp(server.api);
    expect((await me(doomed.auth)).status).toBe(200);
    await queryServerDb(server, 'DELETE FROM users WHERE id = ?', [doomed.user.id]);
    const response = await me(doomed.auth);
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe('unauthorized');
  });
});
