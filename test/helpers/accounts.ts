import { randomBytes } from 'node:crypto';
import { tokenPairResponse, type User } from '../../protocol/api.js';

export interface SignedUpUser {
  user: User;
  accessToken: string;
  refreshToken: string;
  /** Spread into fetch headers: `{ headers: { ...auth } }`. */
  auth: { authorization: string };
}

/** The password every helper-made account gets; tests that log in again can use it. */
export const TEST_PASSWORD = 'correct horse battery staple';

/** A fresh username that no other test in the same server will pick. */
export function uniqueUsername(prefix = 'user'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/**
 * Registers an account and signs it in over HTTP, so a suite gets a user in one line.
 * `api` is `startTestServer().api` (the `/api/v1` base URL).
 */
export async function signUp(api: string, username: string = uniqueUsername()): Promise<SignedUpUser> {
  await postJson(`${api}/auth/register`, { username, password: TEST_PASSWORD });
  const pair = tokenPairResponse.parse(await postJson(`${api}/auth/login`, { username, password: TEST_PASSWORD, deviceName: 'test' }));
  return {
    user: pair.user,
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    auth: { authorization: `Bearer ${pair.accessToken}` },
  };
}
