import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARE_TOKEN_HEADER, shareSchema, sharesResponse, unlockShareResponse } from '../protocol/shares.js';
import type { SignedUpUser } from './helpers/accounts.js';
import { cli, signedInCli, type CliAccount } from './helpers/cliProcess.js';
import { errorCodeOf, jsonRequest } from './helpers/jsonRequest.js';
import type { TestServer } from './helpers/testServer.js';
import { uploadFile } from './helpers/uploads.js';

/** `netdisk-sync share` against the real service. Runs the compiled CLI: needs `npx tsc -b`. */
describe('netdisk-sync share', () => {
  let server: TestServer;
  let alice: SignedUpUser;
  let folder: string;
  let signedIn: CliAccount;
  const account = () => signedIn.flags();

  beforeAll(async () => {
    signedIn = await signedInCli('netdisk-cli-share-');
    ({ server, user: alice, folder } = signedIn);
  });
  afterAll(() => signedIn?.close());

  it('prints a link and code for a path in the sync folder; the link serves the file; list and revoke', async () => {
    await uploadFile(server.api, alice.auth, '/report.txt', new TextEncoder().encode('quarterly numbers'));
    const created = await cli(['share', join(folder, 'report.txt'), ...account(), '--code', 'Ab12', '--expires', '7d', '--max-downloads', '3']);
    expect(created.code, created.stderr).toBe(0);
    const [link, codeLine] = created.stdout.trim().split('\n');
    expect(codeLine).toBe('extraction code: ab12');
    const id = new RegExp(`^${server.url}/s/([A-Za-z0-9_-]{22})$`).exec(link ?? '')?.[1];
    expect(id, link).toBeDefined();

    const unlocked = unlockShareResponse.parse((await jsonRequest(server.api, 'POST', `/s/${id}/unlock`, { body: { code: 'ab12' } })).body);
    const bytes = await fetch(`${server.api}/s/${id}/content`, { headers: { [SHARE_TOKEN_HEADER]: unlocked.token } });
    expect(await bytes.text()).toBe('quarterly numbers');

    const listed = await cli(['share', '--list', '--json', ...account()]);
    expect(listed.code, listed.stderr).toBe(0);
    const shares = sharesResponse.shape.shares.parse(JSON.parse(listed.stdout));
    expect(shares.find((share) => share.id === id)).toMatchObject({ path: '/report.txt', maxDownloads: 3, downloads: 1, state: 'active' });
    const made = shares.find((share) => share.id === id)!;
    expect(made.expiresAt! - made.createdAt).toBe(7 * 86_400_000);

    const revoked = await cli(['share', '--revoke', id!, '--json', ...account()]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(shareSchema.parse(JSON.parse(revoked.stdout)).state).toBe('revoked');
    expect(errorCodeOf(await jsonRequest(server.api, 'GET', `/s/${id}`))).toBe('share_revoked');
  });

  it('a drive path with --no-code; refusals exit with their codes', async () => {
    await uploadFile(server.api, alice.auth, '/open.txt', new TextEncoder().encode('for everyone'));
    const created = await cli(['share', '/open.txt', ...account(), '--no-code', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(shareSchema.parse(JSON.parse(created.stdout)).code).toBeNull();

    const missing = await cli(['share', '/missing.txt', ...account()]);
    expect([missing.code, missing.stderr]).toEqual([4, expect.stringContaining('not_found')]);
    const usage = await cli(['share', '--list', '--revoke', 'x', ...account()]);
    expect(usage.code).toBe(2);
    const badCode = await cli(['share', '/open.txt', '--code', 'toolong', ...account()]);
    expect([badCode.code, badCode.stderr]).toEqual([2, expect.stringContaining('--code takes 4 letters or digits')]);
  });
});
