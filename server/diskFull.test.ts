import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../test/helpers/testDatabase.js';
import { entryResponse, healthResponse, listResponse, meResponse, tokenPairResponse } from '../protocol/api.js';
import { signUp, TEST_PASSWORD, uniqueUsername, type SignedUpUser } from '../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest, type JsonResponse } from '../test/helpers/jsonRequest.js';
import { mountSmallDisk, type SmallDisk } from '../test/helpers/smallDisk.js';
import { startTestServer, type TestServer } from '../test/helpers/testServer.js';
import { localPlace } from '../test/helpers/blobBackends.js';
import { chunkOf, createUpload, download, putChunk, stateOf, uploadFile, uploadRequest } from '../test/helpers/uploads.js';

/**
 * The service with its data folder (SQLite database, blobs, staging) on a
 * small tmpfs that then fills up: every write answers 507
 * `insufficient_storage` and changes nothing, reads and health keep working,
 * and the same writes succeed once space is freed.
 */

let disk: SmallDisk | string;
let server: TestServer;
let alice: SignedUpUser;

beforeAll(async () => {
  disk = mountSmallDisk('24m', 'service-data');
  if (typeof disk === 'string') {
    console.log(`skipping the service disk-full tests: cannot mount a tmpfs (${disk})`);
    return;
  }
  const dataDir = disk.dir;
  server = await startTestServer((config) => { config.dataDir = dataDir; });
  alice = await signUp(server.api, uniqueUsername('full'));
});

afterAll(async () => {
  await server?.close();
  if (typeof disk !== 'string') disk.unmount();
});

const post = (path: string, body: unknown, auth: Record<string, string> = alice.auth) => jsonRequest(server.api, 'POST', path, { headers: auth, body });

function expectInsufficientStorage(response: JsonResponse, what: string): void {
  expect(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(507);
  expect(errorCodeOf(response)).toBe('insufficient_storage');
}

// The data folder's disk: with the metadata on PostgreSQL the writes that fill it are only blobs, and the
// database (on its own server) never sees a full disk; this suite is about SQLite in the data folder.
describe.skipIf(testDatabase === 'postgres')('service data disk full', () => {
  it('answers 507 to every write, changes nothing, keeps reads working, and takes the writes once space is freed', async (context) => {
    if (typeof disk === 'string') return context.skip();
    const { fill, release } = disk;
    const kept = await uploadFile(server.api, alice.auth, '/kept.txt', Buffer.from('kept'));
    expect((await post('/files/mkdir', { path: '/docs' })).status).toBe(200);
    // An upload waiting for its last step, and one with chunks still to send.
    const ready = randomBytes(3000);
    const readySession = (await createUpload(server.api, alice.auth, uploadRequest('/ready.bin', ready))).created!;
    if (readySession.status !== 'upload') throw new Error('expected an upload session');
    expect((await putChunk(server.api, alice.auth, readySession.uploadId, 0, ready)).status).toBe(200);
    const later = randomBytes(5000);
    const laterSession = (await createUpload(server.api, alice.auth, uploadRequest('/later.bin', later))).created!;
    if (laterSession.status !== 'upload') throw new Error('expected an upload session');

    fill();
    const before = await stateOf(server.config, localPlace);

    expectInsufficientStorage(await post('/auth/register', { username: uniqueUsername('new'), password: TEST_PASSWORD }, {}), 'register');
    expectInsufficientStorage(await post('/auth/login', { username: alice.user.username, password: TEST_PASSWORD, deviceName: 'full' }, {}), 'login');
    expectInsufficientStorage(await post('/auth/refresh', { refreshToken: alice.refreshToken }, {}), 'refresh');
    expectInsufficientStorage(await post('/files/mkdir', { path: '/new-folder' }), 'mkdir');
    expectInsufficientStorage(await post('/files/move', { from: '/kept.txt', to: '/moved.txt' }), 'move');
    expectInsufficientStorage(await post('/files/delete', { path: '/docs' }), 'delete');
    expectInsufficientStorage(await post('/uploads', uploadRequest('/fresh.bin', randomBytes(2000))), 'create upload');
    expectInsufficientStorage(await putChunk(server.api, alice.auth, laterSession.uploadId, 0, chunkOf(later, laterSession.chunkSize, 0)), 'chunk');
    expectInsufficientStorage(await post(`/uploads/${readySession.uploadId}/complete`, undefined), 'complete');
    const inline = [randomBytes(4000), randomBytes(3000)].map((bytes, i) => ({ bytes, path: `/docs/inline-${i}.bin` }));
    const batch = { files: inline.map(({ bytes, path }) => ({ path, contentHash: uploadRequest(path, bytes).contentHash, mtime: 1, contentBase64: bytes.toString('base64') })) };
    expectInsufficientStorage(await post('/uploads/batch', batch), 'batch upload');

    // Reads and health keep working.
    expect(healthResponse.parse((await jsonRequest(server.api, 'GET', '/health')).body).status).toBe('ok');
    expect(meResponse.parse((await jsonRequest(server.api, 'GET', '/me', { headers: alice.auth })).body).user.username).toBe(alice.user.username);
    const listing = listResponse.parse((await jsonRequest(server.api, 'GET', '/files?path=/', { headers: alice.auth })).body);
    expect(listing.entries.map((entry) => entry.path).sort()).toEqual(['/docs', '/kept.txt']);
    expect((await download(server.api, alice.auth, '/kept.txt')).bytes.toString()).toBe('kept');
    expect((await jsonRequest(server.api, 'GET', '/changes?cursor=0', { headers: alice.auth })).status).toBe(200);

    // Nothing half-committed: every row and every stored file is as it was.
    expect(await stateOf(server.config, localPlace)).toEqual(before);

    release();
    expect(tokenPairResponse.safeParse((await post('/auth/login', { username: alice.user.username, password: TEST_PASSWORD, deviceName: 'freed' }, {})).body).success).toBe(true);
    expect((await post('/files/mkdir', { path: '/new-folder' })).status).toBe(200);
    const moved = entryResponse.parse((await post('/files/move', { from: '/kept.txt', to: '/moved.txt', ifRev: kept.rev })).body);
    expect(moved.entry.path).toBe('/moved.txt');
    expect(entryResponse.parse((await post(`/uploads/${readySession.uploadId}/complete`, undefined)).body).entry.path).toBe('/ready.bin');
    expect((await putChunk(server.api, alice.auth, laterSession.uploadId, 0, chunkOf(later, laterSession.chunkSize, 0))).status).toBe(200);
    expect((await download(server.api, alice.auth, '/ready.bin')).bytes.equals(ready)).toBe(true);
    const stored = await post('/uploads/batch', batch);
    expect(stored.body).toMatchObject({ results: [{ status: 'done' }, { status: 'done' }] });
    for (const { bytes, path } of inline) expect((await download(server.api, alice.auth, path)).bytes.equals(bytes)).toBe(true);
  }, 60_000);
});
