import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryResponse } from '../../protocol/api.js';
import type { BridgeEvent, Snapshot } from '../../protocol/bridge.js';
import { signUp, TEST_PASSWORD, type SignedUpUser } from '../../test/helpers/accounts.js';
import { eventually } from '../../test/helpers/syncDevices.js';
import { jsonRequest } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { download, uploadFile } from '../../test/helpers/uploads.js';
import type { Share } from '../../protocol/shares.js';
import type { FileVersions } from '../../protocol/versions.js';
import { FileCredentialStore } from '../auth/fileCredentialStore.js';
import { SyncClient } from '../syncClient.js';
import { BridgeError, BridgeService } from './bridgeService.js';
import { conflictedCopyName } from '../sync/conflictName.js';
import { ConflictList } from './conflictList.js';
import { readStoredSettings } from './settingsFile.js';

// Needs dist/ (npx tsc -b): the client's hash worker runs from there.
describe('BridgeService over a real client and service', () => {
  let server: TestServer;
  let root: string;
  let user: SignedUpUser;
  const open: Array<{ service: BridgeService; client: SyncClient }> = [];

  beforeEach(async () => {
    server = await startTestServer();
    user = await signUp(server.api);
    root = mkdtempSync(join(tmpdir(), 'bridge-service-'));
    mkdirSync(join(root, 'folder'));
  });
  afterEach(async () => {
    for (const { service, client } of open.splice(0)) {
      await service.close();
      await client.close();
    }
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function openService(): Promise<{ service: BridgeService; client: SyncClient; events: BridgeEvent[] }> {
    const stateDir = join(root, 'state');
    const client = await SyncClient.open({
      server: server.url, folder: join(root, 'folder'), stateDir, warn: () => {},
      credentials: new FileCredentialStore(stateDir),
      engine: { watch: { debounceMs: 20, stabilityMs: 20, pollWaitSeconds: 1 } },
    });
    const service = new BridgeService(client, { shell: 'web' });
    const events: BridgeEvent[] = [];
    service.on((event) => events.push(event));
    service.start();
    open.push({ service, client });
    return { service, client, events };
  }

  it('refuses unknown commands and bad arguments before acting', async () => {
    const { service, client } = await openService();
    await expect(service.call('deleteEverything', undefined)).rejects.toMatchObject({ code: 'unknown_command' });
    await expect(service.call('toString', undefined)).rejects.toMatchObject({ code: 'unknown_command' });
    await expect(service.call('setSettings', { concurrency: 0 })).rejects.toBeInstanceOf(BridgeError);
    await expect(service.call('setSettings', { concurrency: 3, refreshToken: 'x' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(service.call('pause', { now: true })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(existsSync(join(client.stateDir, 'settings.json'))).toBe(false);
    await expect(service.call('retryTransfer', { id: '12345' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.call('keepConflictVersion', { id: '/a (conflicted copy).txt', keep: 'copy' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.call('openPath', { path: '/a.txt' })).rejects.toMatchObject({ code: 'not_supported' });
  });

  it('signs in, lists this device, signs out; the session events follow', async () => {
    const { service, events } = await openService();
    expect(await service.call('getSnapshot', undefined)).toMatchObject({ session: { state: 'signed_out' }, shell: 'web' });
    await expect(service.call('signInWithPassword', { username: user.user.username, password: 'wrong password' }))
      .rejects.toMatchObject({ detail: { serviceCode: 'invalid_credentials' } });
    expect(await service.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD }))
      .toEqual({ state: 'signed_in', username: user.user.username, reason: null });
    expect(events).toContainEqual({ type: 'session', session: { state: 'signed_in', username: user.user.username, reason: null } });
    const devices = await service.call('listDevices', undefined) as Array<{ current: boolean; deviceName: string }>;
    expect(devices.find((device) => device.current)?.deviceName).toMatch(/^netdisk-sync on /);
    expect(await service.call('signOut', undefined)).toMatchObject({ state: 'signed_out' });
    await expect(service.call('listDevices', undefined)).rejects.toMatchObject({ code: 'signed_out' });
  });

  it('creates, lists and revokes share links for the signed-in account; bad arguments never reach the service', async () => {
    const { service } = await openService();
    await expect(service.call('listShares', undefined)).rejects.toMatchObject({ code: 'signed_out' });
    await service.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD });
    await expect(service.call('createShare', { path: '/a.txt', code: 'toolong' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(service.call('createShare', { path: '/missing.txt' })).rejects.toMatchObject({ detail: { serviceCode: 'not_found' } });
    await expect(service.call('revokeShare', { id: 'x' })).rejects.toMatchObject({ code: 'invalid_request' });

    await uploadFile(server.api, user.auth, '/a.txt', new TextEncoder().encode('shared through the bridge'));
    const made = await service.call('createShare', { path: '/a.txt', code: 'br1d', maxDownloads: 2 }) as Share;
    expect(made).toMatchObject({ path: '/a.txt', code: 'br1d', maxDownloads: 2, state: 'active', url: `${server.url}/s/${made.id}` });
    expect((await service.call('listShares', undefined) as Share[]).map((share) => share.id)).toEqual([made.id]);
    expect(await service.call('revokeShare', { id: made.id })).toMatchObject({ id: made.id, state: 'revoked' });
  });

  it('lists the folders with sizes, keeps and lets go of one through the watching engine; bad paths are refused before acting', async () => {
    const { service, client } = await openService();
    await fetch(`${server.api}/files/mkdir`, { method: 'POST', headers: { ...user.auth, 'content-type': 'application/json' }, body: JSON.stringify({ path: '/photos' }) });
    await uploadFile(server.api, user.auth, '/photos/one.jpg', new TextEncoder().encode('one'));
    await service.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD });
    const photos = join(root, 'folder', 'photos', 'one.jpg');
    await eventually(async () => expect(existsSync(photos)).toBe(true), 20_000);
    expect(await service.call('listFolders', { path: '/' })).toEqual({
      path: '/', syncNewFolders: true,
      folders: [{ path: '/photos', name: 'photos', size: 3, files: 1, hasFolders: false, state: 'kept' }],
    });
    await expect(service.call('listFolders', { path: '../etc' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(service.call('setFolderKept', { path: '/', keep: false })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(service.call('setFolderKept', { path: '/photos', keep: 'no' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(service.call('setFolderKept', { path: '/nowhere', keep: false })).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.call('setSyncNewFolders', { sync: 1 })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(client.state.folderRules.rules()).toEqual([]);

    await service.call('setFolderKept', { path: '/photos', keep: false });
    await eventually(async () => expect(existsSync(photos)).toBe(false), 20_000);
    expect(await service.call('listFolders', { path: '/' })).toMatchObject({ folders: [{ path: '/photos', state: 'excluded' }] });
    await service.call('setFolderKept', { path: '/photos', keep: true });
    await eventually(async () => expect(existsSync(photos)).toBe(true), 20_000);
    await service.call('setSyncNewFolders', { sync: false });
    expect(await service.call('listFolders', { path: '/' })).toMatchObject({ syncNewFolders: false });
  });

  it('keeping this computer\'s version of a conflict puts it back under the name and on the service', async () => {
    const first = await openService();
    await first.service.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD });
    const local = join(root, 'folder', 'report.txt');
    writeFileSync(local, 'first draft\n');
    await eventually(async () => expect((await download(server.api, user.auth, '/report.txt')).bytes.toString()).toBe('first draft\n'), 20_000);
    await first.service.close();
    await first.client.close();
    open.splice(0);

    // Both sides change the synced file while no client runs.
    const { entry } = entryResponse.parse((await jsonRequest(server.api, 'GET', '/files/meta?path=%2Freport.txt', { headers: user.auth })).body);
    await uploadFile(server.api, user.auth, '/report.txt', new TextEncoder().encode('edited on the web\n'), { ifRev: entry.rev });
    writeFileSync(local, 'edited on this computer\n');

    const { service, client } = await openService();
    expect(await client.resume()).toBe(true);
    const conflicts = async () => ((await service.call('getSnapshot', undefined)) as Snapshot).conflicts;
    await eventually(async () => expect(await conflicts()).toHaveLength(1), 20_000);
    const [conflict] = await conflicts();
    // Kept as soon as it is listed: the service's version may still be on its way down.
    await service.call('keepConflictVersion', { id: conflict!.id, keep: 'copy' });
    expect(await conflicts()).toEqual([]);
    expect(readFileSync(local, 'utf8')).toBe('edited on this computer\n');
    await eventually(async () => expect((await download(server.api, user.auth, '/report.txt')).bytes.toString()).toBe('edited on this computer\n'), 20_000);
    // Neither version is lost (the service's is the previous one in its history), and no second conflict was made.
    const { versions } = await service.call('listVersions', { path: '/report.txt' }) as FileVersions;
    expect(versions.map((version) => version.size)).toEqual([24, 18, 12]);
    expect(await conflicts()).toEqual([]);
    expect(readdirSync(join(root, 'folder')).filter((name) => name.startsWith('report'))).toEqual(['report.txt']);
  });

  it('lists the conflicts whose copies the local tree holds when it starts, before any round', async () => {
    const stateDir = join(root, 'state');
    const copy = conflictedCopyName('/docs/plan.txt', 'laptop', new Date(Date.UTC(2026, 10, 30, 8, 0, 0)));
    mkdirSync(join(root, 'folder', 'docs'));
    writeFileSync(join(root, 'folder', copy.slice(1)), 'mine');
    const seeded = await SyncClient.open({ server: server.url, folder: join(root, 'folder'), stateDir, warn: () => {}, credentials: new FileCredentialStore(stateDir) });
    const node = (path: string, kind: 'file' | 'folder') => ({ path, kind, size: 0, contentHash: kind === 'file' ? 'a'.repeat(64) : null, mtime: 1, inode: `1:${path}` });
    seeded.state.write([{ tree: 'local', op: 'upsert', node: node('/docs', 'folder') }, { tree: 'local', op: 'upsert', node: node(copy, 'file') }, { tree: 'local', op: 'upsert', node: node('/docs/plan.txt', 'file') }]);
    await seeded.close();

    // Not signed in: no round runs, so only the local tree can have named it.
    const { service } = await openService();
    const { conflicts } = (await service.call('getSnapshot', undefined)) as Snapshot;
    expect(conflicts.map((c) => [c.path, c.copyPath, c.at])).toEqual([['/docs/plan.txt', copy, Date.UTC(2026, 10, 30, 8, 0, 0)]]);
  });

  it('refuses to keep a conflicted copy under the name of a folder this computer does not keep; keeping the service\'s works', async () => {
    const { service } = await openService();
    await jsonRequest(server.api, 'POST', '/files/mkdir', { headers: user.auth, body: { path: '/photos' } });
    await uploadFile(server.api, user.auth, '/photos/one.jpg', new TextEncoder().encode('one'));
    await service.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD });
    await eventually(async () => expect(existsSync(join(root, 'folder', 'photos', 'one.jpg'))).toBe(true), 20_000);
    await service.call('setFolderKept', { path: '/photos', keep: false });
    await eventually(async () => expect(existsSync(join(root, 'folder', 'photos'))).toBe(false), 20_000);

    // A new local folder with the excluded one's name is a conflict, not a merge.
    mkdirSync(join(root, 'folder', 'photos'));
    writeFileSync(join(root, 'folder', 'photos', 'two.jpg'), 'two');
    const conflicts = async () => ((await service.call('getSnapshot', undefined)) as Snapshot).conflicts;
    await eventually(async () => expect(await conflicts()).toHaveLength(1), 20_000);
    const [conflict] = await conflicts();
    expect(conflict!.path).toBe('/photos');
    await expect(service.call('keepConflictVersion', { id: conflict!.id, keep: 'copy' })).rejects.toMatchObject({ code: 'folder_not_kept' });
    expect(existsSync(join(root, 'folder', conflict!.copyPath, 'two.jpg'))).toBe(true);
    expect(existsSync(join(root, 'folder', 'photos'))).toBe(false);

    await service.call('keepConflictVersion', { id: conflict!.id, keep: 'original' });
    expect(await conflicts()).toEqual([]);
    expect((await download(server.api, user.auth, '/photos/one.jpg')).status).toBe(200);
  });

  it('lists and restores a file\'s versions for the signed-in account; bad arguments never reach the service', async () => {
    const { service } = await openService();
    await expect(service.call('listVersions', { path: '/v.txt' })).rejects.toMatchObject({ code: 'signed_out' });
    await service.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD });
    await expect(service.call('listVersions', { path: '/../etc/passwd' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(service.call('listVersions', { path: '/v.txt', extra: 1 })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(service.call('restoreVersion', { path: '/v.txt', versionId: 'not-an-id' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(service.call('listVersions', { path: '/v.txt' })).rejects.toMatchObject({ detail: { serviceCode: 'not_found' } });

    await uploadFile(server.api, user.auth, '/v.txt', new TextEncoder().encode('one'));
    await uploadFile(server.api, user.auth, '/v.txt', new TextEncoder().encode('two!'));
    const before = await service.call('listVersions', { path: '/v.txt' }) as FileVersions;
    expect(before.versions.map((v) => [v.current, v.size])).toEqual([[true, 4], [false, 3]]);
    const after = await service.call('restoreVersion', { path: '/v.txt', versionId: before.versions[1]!.versionId }) as FileVersions;
    expect(after.versions.map((v) => [v.current, v.size])).toEqual([[true, 3], [false, 4], [false, 3]]);
    expect(after.versions[0]!.device).toMatch(/^netdisk-sync on /);
  });

  it('shows the storage quota, and a full netdisk as one issue, not one per file or per round', async () => {
    await server.close();
    server = await startTestServer((config) => { config.limits.quotaBytes = 100 * 1024; });
    user = await signUp(server.api);
    const { service, events } = await openService();
    await service.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD });
    await expect.poll(() => events.find((event) => event.type === 'storage'), { timeout: 15_000 })
      .toEqual({ type: 'storage', storage: { usedBytes: 0, reservedBytes: 0, quotaBytes: 100 * 1024 } });
    // Three 60 KiB files: only one fits in 100 KiB.
    for (const name of ['a', 'b', 'c']) writeFileSync(join(root, 'folder', `${name}.bin`), randomBytes(60 * 1024));
    const quotaIssues = () => events.filter((event) => event.type === 'issue' && event.issue.code === 'quota_exceeded');
    await expect.poll(quotaIssues, { timeout: 15_000 }).toHaveLength(1);
    await expect.poll(async () => ((await service.call('getSnapshot', undefined)) as Snapshot).storage?.usedBytes, { timeout: 15_000 }).toBe(60 * 1024);
    // Another round (a new file, refused too) does not repeat the issue.
    const seen = events.length;
    writeFileSync(join(root, 'folder', 'd.bin'), randomBytes(60 * 1024));
    await expect.poll(() => events.slice(seen).some((event) => event.type === 'state' && event.state === 'error'), { timeout: 15_000 }).toBe(true);
    expect(events.slice(seen).some((event) => event.type === 'activity' && event.activity.path === '/d.bin')).toBe(false);
    expect(quotaIssues()).toHaveLength(1);
    expect(((await service.call('getSnapshot', undefined)) as Snapshot).issues.filter((issue) => issue.code === 'quota_exceeded')).toHaveLength(1);
  });

  it('keeps settings in the state folder and the ignore file; a new service over the reopened client reads them', async () => {
    const first = await openService();
    const saved = await first.service.call('setSettings', { uploadLimit: 250_000, language: 'zh-CN', ignoreRules: '*.tmp\n' });
    expect(saved).toMatchObject({ uploadLimit: 250_000, language: 'zh-CN', ignoreRules: '*.tmp\n', concurrency: 4 });
    expect(first.events).toContainEqual({ type: 'settings', settings: saved });
    await expect(first.service.call('setSettings', { folder: '/elsewhere' })).rejects.toMatchObject({ code: 'not_supported' });
    expect(readFileSync(join(root, 'folder', '.netdiskignore'), 'utf8')).toBe('*.tmp\n');
    await first.service.close();
    await first.client.close();
    open.splice(0);

    const second = await openService();
    expect(await second.service.call('getSettings', undefined)).toEqual(saved);
  });

  it('tells the page "internal" for bugs, never their message', async () => {
    const reported: unknown[] = [];
    const { client } = await openService();
    const service = new BridgeService(client, { shell: 'web', onInternalError: (error) => reported.push(error) });
    expect(service.describeError(new TypeError('secret detail at line 3'))).toEqual({ code: 'internal', message: 'something went wrong inside netdisk-sync' });
    expect(reported).toHaveLength(1);
  });

  it('moves the sync to another folder: the host reopens the client there, the rest of the patch lands in the new folder\'s settings', async () => {
    const events: BridgeEvent[] = [];
    // As `netdisk-sync --ui` does: close, reopen on the new folder (state follows it), serve with a new BridgeService.
    const serve = async (folder: string): Promise<BridgeService> => {
      const stateDir = join(folder, '.netdisk-sync');
      const client = await SyncClient.open({
        server: server.url, folder, warn: () => {}, credentials: new FileCredentialStore(stateDir),
        engine: { watch: { debounceMs: 20, stabilityMs: 20, pollWaitSeconds: 1 } },
      });
      await client.resume();
      const service: BridgeService = new BridgeService(client, {
        shell: 'web',
        changeLocation: async (next) => {
          expect(next.server).toBe(server.url);
          await service.close();
          await client.close();
          open.splice(open.findIndex((entry) => entry.service === service), 1);
          return serve(next.folder);
        },
      });
      service.on((event) => events.push(event));
      service.start();
      open.push({ service, client });
      return service;
    };
    const first = await serve(join(root, 'folder'));
    expect(await first.call('getSnapshot', undefined)).toMatchObject({ capabilities: { changeLocation: true, builtInService: false }, usesBuiltInService: false });
    await first.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD });

    // Refused before the client is touched: a state folder, a file, a relative path, the built-in service this host lacks.
    writeFileSync(join(root, 'a-file'), 'x');
    await expect(first.call('setSettings', { folder: join(root, 'folder', '.netdisk-sync', 'inner') })).rejects.toMatchObject({ code: 'folder_in_state_dir' });
    await expect(first.call('setSettings', { folder: join(root, 'a-file') })).rejects.toMatchObject({ code: 'folder_not_directory' });
    await expect(first.call('setSettings', { folder: 'relative/path' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(first.call('setSettings', { server: null })).rejects.toMatchObject({ code: 'not_supported' });
    expect(open).toHaveLength(1);

    const second = join(root, 'second', 'Netdisk');
    const moved = await first.call('setSettings', { folder: second, uploadLimit: 5000 });
    expect(moved).toMatchObject({ folder: second, server: server.url, uploadLimit: 5000 });
    expect(readStoredSettings(join(second, '.netdisk-sync')).uploadLimit).toBe(5000);
    expect(readStoredSettings(join(root, 'folder', '.netdisk-sync')).uploadLimit).toBe(0);
    // The new folder has its own (empty) account state: the page is told to sign in there.
    expect(events).toContainEqual({ type: 'session', session: { state: 'signed_out', username: null, reason: null } });
    const successor = open[0]!.service;
    await successor.call('signInWithPassword', { username: user.user.username, password: TEST_PASSWORD });
    writeFileSync(join(second, 'moved.txt'), 'in the new folder');
    await expect.poll(() => events.some((event) => event.type === 'activity' && event.activity.path === '/moved.txt'), { timeout: 15_000 }).toBe(true);
  });
});

describe('ConflictList', () => {
  it('finds the conflicted copies in the local tree after a restart, with the path and time they are about', () => {
    const folder = mkdtempSync(join(tmpdir(), 'conflicts-'));
    try {
      const when = new Date(Date.UTC(2026, 10, 26, 14, 3, 9));
      const copies = [conflictedCopyName('/docs/plan.txt', 'my laptop', when), conflictedCopyName('/.bashrc', 'pc', when, 2)];
      for (const copy of copies) {
        mkdirSync(join(folder, 'docs'), { recursive: true });
        writeFileSync(join(folder, copy), 'mine');
      }
      const list = new ConflictList((drivePath) => join(folder, drivePath));
      list.addFromTree(['/docs', '/docs/plan.txt', ...copies, '/notes (conflicted copy).txt']);
      expect(list.open().map((c) => [c.path, c.copyPath, c.at])).toEqual([
        ['/docs/plan.txt', copies[0], when.getTime()],
        ['/.bashrc', copies[1], when.getTime()],
      ]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('lists a conflict while its copy exists, newest first', () => {
    const folder = mkdtempSync(join(tmpdir(), 'conflicts-'));
    try {
      const list = new ConflictList((drivePath) => join(folder, drivePath));
      writeFileSync(join(folder, 'a (conflicted copy).txt'), 'mine');
      writeFileSync(join(folder, 'b (conflicted copy).txt'), 'mine');
      expect(list.add({ at: 1, action: 'uploaded', path: '/x' })).toBe(false);
      list.add({ at: 1, action: 'conflict', path: '/a.txt', otherPath: '/a (conflicted copy).txt' });
      list.add({ at: 2, action: 'conflict', path: '/b.txt', otherPath: '/b (conflicted copy).txt' });
      expect(list.open().map((c) => c.path)).toEqual(['/b.txt', '/a.txt']);
      rmSync(join(folder, 'b (conflicted copy).txt'));
      expect(list.open().map((c) => c.path)).toEqual(['/a.txt']);
      expect(list.get('/b (conflicted copy).txt')).toBeUndefined();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('stored settings', () => {
  it('keeps the values that still validate in a damaged file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'settings-'));
    try {
      expect(readStoredSettings(dir)).toMatchObject({ concurrency: 4, language: null });
      writeFileSync(join(dir, 'settings.json'), JSON.stringify({ concurrency: 9, uploadLimit: -5, language: 'fr' }));
      expect(readStoredSettings(dir)).toEqual({ uploadLimit: 0, downloadLimit: 0, concurrency: 9, startAtLogin: false, language: null });
      writeFileSync(join(dir, 'settings.json'), '{not json');
      expect(readStoredSettings(dir).concurrency).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

