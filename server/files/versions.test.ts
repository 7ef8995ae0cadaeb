import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { changesResponse, entryResponse, latestCursorResponse, meResponse, tokenPairResponse, type Entry } from '../../protocol/api.js';
import { hashBytes, possessionProof } from '../../protocol/contentHash.js';
import { versionsResponse, type VersionsResponse } from '../../protocol/versions.js';
import { signUp, TEST_PASSWORD, uniqueUsername, type SignedUpUser } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest, type JsonResponse } from '../../test/helpers/jsonRequest.js';
import { openServerMetadata } from '../../test/helpers/serverDb.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { createUpload, download, uploadFile, uploadRequest } from '../../test/helpers/uploads.js';
import type { Metadata } from '../metadata.js';
import type { FileStore } from './fileStore.js';
import { runFilesMaintenance } from './maintenance.js';

/**
 * Version history against the real service on loopback: uploads (chunked,
 * batch, instant) keep what they replace, pruning by count and age, the
 * quota, content collection, restore through the change feed, per-user
 * scoping and refusals. The service's clock is injected, so ages are exact.
 */

const MAX_VERSIONS = 3;
const RETENTION_SECONDS = 3600;
const QUOTA_BYTES = 200_000;
const clock = { now: 1_800_000_000_000 };

let server: TestServer;
/** A second handle on the service's database (SQLite or PostgreSQL), for maintenance and content collection (no HTTP route runs them). */
let sideMetadata: Metadata;
let side: FileStore;

beforeAll(async () => {
  server = await startTestServer((config) => {
    config.versions = { maxPerFile: MAX_VERSIONS, retentionSeconds: RETENTION_SECONDS };
    config.limits.quotaBytes = QUOTA_BYTES;
  }, { now: () => clock.now });
  sideMetadata = await openServerMetadata(server, () => clock.now);
  side = sideMetadata.files;
});
afterAll(async () => {
  await sideMetadata.close();
  await server.close();
});

/** Another device session of `user`, signed in as `deviceName`. */
async function device(user: SignedUpUser, deviceName: string): Promise<SignedUpUser> {
  const response = await jsonRequest(server.api, 'POST', '/auth/login', { body: { username: user.user.username, password: TEST_PASSWORD, deviceName } });
  const pair = tokenPairResponse.parse(response.body);
  return { ...user, accessToken: pair.accessToken, refreshToken: pair.refreshToken, auth: { authorization: `Bearer ${pair.accessToken}` } };
}

async function newUser(): Promise<SignedUpUser> {
  return signUp(server.api, uniqueUsername('versions'));
}

const q = (path: string) => `path=${encodeURIComponent(path)}`;
const listVersions = (user: SignedUpUser, path: string) => jsonRequest(server.api, 'GET', `/files/versions?${q(path)}`, { headers: user.auth });
async function versionsOf(user: SignedUpUser, path: string): Promise<VersionsResponse> {
  const response = await listVersions(user, path);
  if (response.status !== 200) throw new Error(`versions answered ${response.status}: ${JSON.stringify(response.body)}`);
  return versionsResponse.parse(response.body);
}
const restore = (user: SignedUpUser, body: Record<string, unknown>) => jsonRequest(server.api, 'POST', '/files/versions/restore', { headers: user.auth, body });
const usedBytes = async (user: SignedUpUser) => meResponse.parse((await jsonRequest(server.api, 'GET', '/me', { headers: user.auth })).body).storage!.usedBytes;
const cursorOf = async (user: SignedUpUser) => latestCursorResponse.parse((await jsonRequest(server.api, 'GET', '/changes/latest', { headers: user.auth })).body).cursor;

async function batchUpload(user: SignedUpUser, path: string, bytes: Buffer): Promise<Entry> {
  const response = await jsonRequest(server.api, 'POST', '/uploads/batch', {
    headers: user.auth,
    body: { files: [{ path, contentHash: hashBytes(bytes).contentHash, mtime: 2, contentBase64: bytes.toString('base64') }] },
  });
  const result = (response.body as { results: { status: string; entry?: Entry }[] }).results[0]!;
  if (result.status !== 'done') throw new Error(`batch answered ${JSON.stringify(result)}`);
  return result.entry!;
}

/** Replaces `path` by proving possession of content the service already holds. */
async function instantUpload(user: SignedUpUser, path: string, bytes: Buffer): Promise<Entry> {
  const first = await createUpload(server.api, user.auth, uploadRequest(path, bytes));
  if (first.created?.status !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(first.body)}`);
  const { id, nonce, offset, length } = first.created.challenge;
  const proof = { id, value: possessionProof(nonce, bytes.subarray(offset, offset + length)) };
  const done = await createUpload(server.api, user.auth, uploadRequest(path, bytes, { proof }));
  if (done.created?.status !== 'done') throw new Error(`expected done, got ${JSON.stringify(done.body)}`);
  return done.created.entry;
}

function expectRefused(response: JsonResponse, status: number, code: string): void {
  expect([response.status, errorCodeOf(response)]).toEqual([status, code]);
}

describe('version history', () => {
  test('each replace (chunked upload, batch, instant upload) keeps what it replaced, with the device that wrote it, its time, size and hash', async () => {
    const user = await newUser();
    const laptop = await device(user, 'laptop');
    const desk = await device(user, 'desk');
    const v1 = randomBytes(3000);
    const v2 = Buffer.from('second version');
    const v3 = randomBytes(1000);
    await uploadFile(server.api, user.auth, '/elsewhere.bin', v3); // so that v3 is offered instant upload

    const writtenAt1 = clock.now;
    await uploadFile(server.api, laptop.auth, '/doc.bin', v1);
    clock.now += 1000;
    await batchUpload(desk, '/doc.bin', v2);
    clock.now += 1000;
    const current = await instantUpload(laptop, '/doc.bin', v3);

    const { entry, versions } = await versionsOf(user, '/doc.bin');
    expect(entry).toEqual(current);
    expect(versions.map((v) => [v.current, v.device, v.size, v.contentHash, v.writtenAt])).toEqual([
      [true, 'laptop', v3.length, hashBytes(v3).contentHash, writtenAt1 + 2000],
      [false, 'desk', v2.length, hashBytes(v2).contentHash, writtenAt1 + 1000],
      [false, 'laptop', v1.length, hashBytes(v1).contentHash, writtenAt1],
    ]);
    expect(new Set(versions.map((v) => v.versionId)).size).toBe(3);
    // The same bytes again is no new version.
    await instantUpload(desk, '/doc.bin', v3);
    expect((await versionsOf(user, '/doc.bin')).versions.map((v) => [v.current, v.device])).toEqual([[true, 'desk'], [false, 'desk'], [false, 'laptop']]);
  });

  test('versions follow a move, survive the trash, and go when their trash item is purged', async () => {
    const user = await newUser();
    await batchUpload(user, '/a.txt', Buffer.from('one'));
    await batchUpload(user, '/a.txt', Buffer.from('two'));
    await jsonRequest(server.api, 'POST', '/files/move', { headers: user.auth, body: { from: '/a.txt', to: '/b.txt' } });
    expect((await versionsOf(user, '/b.txt')).versions).toHaveLength(2);
    await jsonRequest(server.api, 'POST', '/files/delete', { headers: user.auth, body: { path: '/b.txt' } });
    expect(await usedBytes(user)).toBe(6);
    const trashId = ((await jsonRequest(server.api, 'GET', '/trash', { headers: user.auth })).body as { items: { trashId: string }[] }).items[0]!.trashId;
    await jsonRequest(server.api, 'POST', '/trash/restore', { headers: user.auth, body: { trashId } });
    expect((await versionsOf(user, '/b.txt')).versions.map((v) => v.size)).toEqual([3, 3]);

    await jsonRequest(server.api, 'POST', '/files/delete', { headers: user.auth, body: { path: '/b.txt' } });
    const oneHash = hashBytes(Buffer.from('one')).contentHash;
    expect(await side.purgeTrash(clock.now + 1)).toBeGreaterThanOrEqual(1);
    expect(await usedBytes(user)).toBe(0);
    expect(await side.collectableContent(clock.now + 1)).toContain(oneHash);
  });

  test('only the newest NETDISK_MAX_VERSIONS previous versions are kept; a pruned one\'s content becomes collectable, kept ones\' never', async () => {
    const user = await newUser();
    const texts = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].map((t) => Buffer.from(`${t}-${randomBytes(4).toString('hex')}`));
    for (const bytes of texts) await batchUpload(user, '/many.txt', bytes);
    const { versions } = await versionsOf(user, '/many.txt');
    const hashes = texts.map((bytes) => hashBytes(bytes).contentHash);
    expect(versions.map((v) => v.contentHash)).toEqual([hashes[5], hashes[4], hashes[3], hashes[2]]);
    const collectable = await side.collectableContent(clock.now + 1);
    expect(collectable).toEqual(expect.arrayContaining([hashes[0], hashes[1]]));
    for (const kept of hashes.slice(2)) expect(collectable).not.toContain(kept);
    expect(await usedBytes(user)).toBe(texts.slice(2).reduce((sum, b) => sum + b.length, 0));
  });

  test('previous versions older than NETDISK_VERSION_RETENTION are pruned by maintenance; younger ones and the current content stay', async () => {
    const user = await newUser();
    await batchUpload(user, '/aged.txt', Buffer.from('old-1'));
    await batchUpload(user, '/aged.txt', Buffer.from('old-2')); // 'old-1' replaced now
    clock.now += (RETENTION_SECONDS - 10) * 1000;
    await batchUpload(user, '/aged.txt', Buffer.from('new-3')); // 'old-2' replaced 10 s before 'old-1' expires
    clock.now += 20_000;
    const ctx = { config: server.config, now: () => clock.now };
    expect((await runFilesMaintenance(side, ctx)).versions).toBeGreaterThanOrEqual(1);
    const { versions } = await versionsOf(user, '/aged.txt');
    expect(versions.map((v) => [v.current, v.size])).toEqual([[true, 5], [false, 5]]);
    expect(versions[1]!.contentHash).toBe(hashBytes(Buffer.from('old-2')).contentHash);
    expect(await usedBytes(user)).toBe(10);
    expect(await side.collectableContent(clock.now + 1)).toContain(hashBytes(Buffer.from('old-1')).contentHash);
  });

  test('previous versions count against the quota: a restore that does not fit is refused with quota_exceeded', async () => {
    const user = await newUser();
    const big = randomBytes(QUOTA_BYTES * 0.4);
    await uploadFile(server.api, user.auth, '/big.bin', big);
    await uploadFile(server.api, user.auth, '/big.bin', randomBytes(QUOTA_BYTES * 0.4));
    expect(await usedBytes(user)).toBe(QUOTA_BYTES * 0.8);
    const old = (await versionsOf(user, '/big.bin')).versions[1]!;
    const cursor = await cursorOf(user);
    expectRefused(await restore(user, { path: '/big.bin', versionId: old.versionId }), 507, 'quota_exceeded');
    expect(await cursorOf(user)).toBe(cursor);
    // A new upload over it no longer frees the bytes it replaces: they stay as a version.
    const replace = await createUpload(server.api, user.auth, uploadRequest('/big.bin', randomBytes(QUOTA_BYTES * 0.3)));
    expectRefused(replace, 507, 'quota_exceeded');
  });

  test('restore makes a version the newest content; the replaced one becomes a version; the feed carries an update', async () => {
    const user = await newUser();
    const laptop = await device(user, 'laptop');
    const first = Buffer.from('first bytes');
    await uploadFile(server.api, user.auth, '/r.txt', first);
    const second = await uploadFile(server.api, user.auth, '/r.txt', Buffer.from('second bytes'));
    const before = await versionsOf(user, '/r.txt');
    const cursor = await cursorOf(user);

    const response = await restore(laptop, { path: '/r.txt', versionId: before.versions[1]!.versionId, ifRev: second.rev });
    expect(response.status).toBe(200);
    const restored = entryResponse.parse(response.body).entry;
    expect(restored).toMatchObject({ id: second.id, contentHash: hashBytes(first).contentHash, size: first.length, mtime: clock.now });
    expect(restored.rev).not.toBe(second.rev);
    expect((await download(server.api, user.auth, '/r.txt')).bytes).toEqual(first);

    const feed = changesResponse.parse((await jsonRequest(server.api, 'GET', `/changes?cursor=${cursor}`, { headers: user.auth })).body);
    expect(feed.changes.map((c) => [c.op, c.path, c.entry])).toEqual([['update', '/r.txt', restored]]);

    const after = await versionsOf(user, '/r.txt');
    expect(after.versions.map((v) => [v.current, v.contentHash, v.device])).toEqual([
      [true, hashBytes(first).contentHash, 'laptop'],
      [false, second.contentHash, 'test'],
      [false, hashBytes(first).contentHash, 'test'],
    ]);
    // Restoring the current version changes nothing.
    const again = await restore(user, { path: '/r.txt', versionId: after.versions[0]!.versionId });
    expect(entryResponse.parse(again.body).entry).toEqual(restored);
    expect(await cursorOf(user)).toBe(feed.cursor);
  });

  test('another user can neither list nor restore a user\'s versions', async () => {
    const alice = await newUser();
    const bob = await newUser();
    await batchUpload(alice, '/secret.txt', Buffer.from('alice 1'));
    await batchUpload(alice, '/secret.txt', Buffer.from('alice 2'));
    const alices = await versionsOf(alice, '/secret.txt');
    expectRefused(await listVersions(bob, '/secret.txt'), 404, 'not_found');
    expectRefused(await restore(bob, { path: '/secret.txt', versionId: alices.versions[1]!.versionId }), 404, 'not_found');
    // Bob's own file at the same path does not reach Alice's version either.
    await batchUpload(bob, '/secret.txt', Buffer.from('bob 1'));
    expectRefused(await restore(bob, { path: '/secret.txt', versionId: alices.versions[1]!.versionId }), 404, 'version_not_found');
    expect(await versionsOf(alice, '/secret.txt')).toEqual(alices);
    expect((await download(server.api, bob.auth, '/secret.txt')).bytes.toString()).toBe('bob 1');
  });

  test('hostile and mistaken inputs get stable codes and change nothing', async () => {
    const user = await newUser();
    await jsonRequest(server.api, 'POST', '/files/mkdir', { headers: user.auth, body: { path: '/folder' } });
    const one = await batchUpload(user, '/f.txt', Buffer.from('1'));
    const two = await batchUpload(user, '/f.txt', Buffer.from('2'));
    const history = await versionsOf(user, '/f.txt');
    const oldId = history.versions[1]!.versionId;
    const cursor = await cursorOf(user);
    const other = await batchUpload(user, '/g.txt', Buffer.from('g'));
    await batchUpload(user, '/g.txt', Buffer.from('g2'));
    const othersId = (await versionsOf(user, '/g.txt')).versions[1]!.versionId;
    const cursorAfterSetup = await cursorOf(user);

    expectRefused(await listVersions(user, '/missing.txt'), 404, 'not_found');
    expectRefused(await listVersions(user, '/folder'), 409, 'not_a_file');
    expectRefused(await listVersions(user, '/a/../f.txt'), 400, 'invalid_path');
    expectRefused(await listVersions(user, '/'), 400, 'invalid_path');
    expectRefused(await restore(user, { path: '/missing.txt', versionId: oldId }), 404, 'not_found');
    expectRefused(await restore(user, { path: '/folder', versionId: oldId }), 409, 'not_a_file');
    expectRefused(await restore(user, { path: '/f.txt', versionId: '../../etc' }), 400, 'invalid_request');
    expectRefused(await restore(user, { path: '/f.txt', versionId: 'A'.repeat(32) }), 400, 'invalid_request');
    expectRefused(await restore(user, { path: '/f.txt', versionId: 'x'.repeat(10_000) }), 400, 'invalid_request');
    expectRefused(await restore(user, { path: '/f.txt' }), 400, 'invalid_request');
    expectRefused(await restore(user, { path: '/f.txt', versionId: '0'.repeat(32) }), 404, 'version_not_found');
    expectRefused(await restore(user, { path: '/f.txt', versionId: othersId }), 404, 'version_not_found');
    const stale = await restore(user, { path: '/f.txt', versionId: oldId, ifRev: one.rev });
    expectRefused(stale, 409, 'conflict');
    expect((stale.body as { error: { details: { entry: Entry } } }).error.details.entry).toEqual(two);

    expect(await cursorOf(user)).toBe(cursorAfterSetup);
    expect(cursorAfterSetup).toBeGreaterThan(cursor);
    expect(await versionsOf(user, '/f.txt')).toEqual(history);
    expect(other.path).toBe('/g.txt');
  });
});
