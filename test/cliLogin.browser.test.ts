import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userSchema } from '../protocol/api.js';
import { cli } from './helpers/cliProcess.js';
import { jsonRequest } from './helpers/jsonRequest.js';
import { clickThroughQq, loopbackOutcome, startProviderWorld, type ProviderWorld } from './helpers/providerSignIn.js';
import { queryServerDb } from './helpers/serverDb.js';

const AUTHORIZE_URL = /http:\/\/127\.0\.0\.1:\d+\/api\/v1\/auth\/oauth\/qq\/authorize\?\S+/;

/**
 * The "done means": a new user signs in with `netdisk-sync login
 * --provider qq`, clicking through in a browser, and syncs. Runs the compiled
 * CLI: needs `npx tsc -b`.
 */
describe('netdisk-sync login --provider qq, whoami, sync, logout', () => {
  let world: ProviderWorld;
  let folder: string;

  beforeAll(async () => {
    world = await startProviderWorld();
    folder = mkdtempSync(join(tmpdir(), 'netdisk-cli-login-'));
  });
  afterAll(async () => {
    await world?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('signs in through the printed address, is remembered by whoami and the sync command, and signs out', async () => {
    const target = ['--server', world.server.url, '--folder', folder];
    expect((await cli(['whoami', ...target])).code).toBe(3);

    const nickname = `命令行-${randomBytes(2).toString('hex')}`;
    const context = await world.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    let browsing: Promise<void> | undefined;
    const login = await cli(['login', ...target, '--provider', 'qq', '--no-browser'], (stderr) => {
      const url = AUTHORIZE_URL.exec(stderr)?.[0];
      if (url && !browsing) browsing = clickThroughQq(page, url, nickname);
    });
    await browsing;
    expect(await loopbackOutcome(page)).toBe('signed_in');
    await context.close();
    expect(login.stderr).toContain(`signed in as ${nickname}`);
    expect(login.code).toBe(0);
    // No keychain here: the refresh token went to the owner-only file, with a warning.
    const credentialsFile = join(folder, '.netdisk-sync', 'credentials.json');
    expect(login.stderr).toContain('warning: the system keychain is not available');
    expect(statSync(credentialsFile).mode & 0o777).toBe(0o600);

    const whoami = await cli(['whoami', ...target, '--json']);
    expect(whoami.code).toBe(0);
    const user = userSchema.parse(JSON.parse(whoami.stdout));
    expect(user.displayName).toBe(nickname);
    expect((await cli(['whoami', ...target])).stdout).toBe(`${nickname} (${user.username})\n`);

    writeFileSync(join(folder, 'from-cli.txt'), 'synced after a QQ sign-in\n');
    const sync = await cli([...target, '--once']);
    expect(sync.stderr).toContain('in sync');
    expect(sync.code).toBe(0);
    const [stored] = await queryServerDb(world.server, 'SELECT size FROM file_entries WHERE user_id = ? AND path = ?', [user.id, '/from-cli.txt']);
    expect(stored?.size).toBe('synced after a QQ sign-in\n'.length);

    const refreshToken = Object.values(JSON.parse(readFileSync(credentialsFile, 'utf8')) as Record<string, string>)[0]!;
    const logout = await cli(['logout', ...target]);
    expect(logout.code).toBe(0);
    expect(logout.stderr).toContain('signed out');
    // Revoked at the service, and forgotten here.
    const refresh = await jsonRequest(world.server.api, 'POST', '/auth/refresh', { body: { refreshToken } });
    expect(refresh.status).toBe(401);
    expect(existsSync(credentialsFile) ? readFileSync(credentialsFile, 'utf8') : '').not.toContain(refreshToken);
    const after = await cli(['whoami', ...target]);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('not signed in');
    expect((await cli([...target, '--once'])).code).toBe(3);
  }, 120_000);

  it('refuses a login without a provider or username, and an unknown provider', async () => {
    const target = ['--server', world.server.url, '--folder', folder];
    const noUser = await cli(['login', ...target]);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('needs --username');
    const unknown = await cli(['login', ...target, '--provider', 'wechat']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--provider takes qq, oidc:<name> or password');
  });
});
