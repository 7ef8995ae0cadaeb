import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meResponse } from '../../protocol/api.js';
import { BLOCK_SIZE, hashBytes } from '../../protocol/contentHash.js';
import { signUp, TEST_PASSWORD } from '../../test/helpers/accounts.js';
import { startFaultProxy } from '../../test/helpers/faultProxy.js';
import { HostileService, fileEntry, folderEntry } from '../../test/helpers/hostileService.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { FileCredentialStore } from '../auth/fileCredentialStore.js';
import { TokenSession } from '../auth/tokenSession.js';
import { SyncError } from '../errors.js';
import { ApiClient } from './apiClient.js';
import { RemoteConflictError } from './remoteErrors.js';
import { HttpRemoteStore } from './httpRemoteStore.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-remote-'));
  dirs.push(dir);
  return dir;
}

async function signedInStore(serverUrl: string, api: string): Promise<HttpRemoteStore> {
  const { user } = await signUp(api);
  const client = new ApiClient(serverUrl);
  const session = new TokenSession({ api: client, credentials: new FileCredentialStore(tempDir()) });
  await session.login(user.username, TEST_PASSWORD);
  return new HttpRemoteStore(client, session);
}

/** Resolves when the service receives its next request for `path`. */
function requestArrival(server: TestServer, path: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (request: IncomingMessage) => {
      if (request.url?.split('?')[0] !== path) return;
      server.app.server.off('request', listener);
      resolve();
    };
    server.app.server.on('request', listener);
  });
}

function failure(promise: Promise<unknown>): Promise<SyncError> {
  return promise.then(
    () => { throw new Error('expected a failure'); },
    (error: unknown) => {
      expect(error).toBeInstanceOf(SyncError);
      return error as SyncError;
    },
  );
}

describe('HttpRemoteStore against the real service', () => {
  let server: TestServer;
  let remote: HttpRemoteStore;

  beforeAll(async () => {
    server = await startTestServer((config) => {
      config.chunkSize = BLOCK_SIZE;
    });
    remote = await signedInStore(server.url, server.api);
  });
  afterAll(async () => {
    await server.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists, moves and deletes folders; a stale rev is a conflict carrying the current entry', async () => {
    const docs = await remote.mkdir('/Docs', { mtime: 1_700_000_000_000 });
    expect(docs).toMatchObject({ path: '/Docs', kind: 'folder', size: 0, contentHash: null, mtime: 1_700_000_000_000 });
    expect(docs).not.toHaveProperty('name');
    await remote.mkdir('/Docs/Inner');
    expect((await remote.list('/')).nodes.map((node) => node.path)).toContain('/Docs');
    expect((await remote.list('/Docs')).nodes.map((node) => node.path)).toEqual(['/Docs/Inner']);

    const moved = await remote.move('/Docs', '/Papers', docs.rev);
    expect(moved).toMatchObject({ id: docs.id, path: '/Papers' });
    expect((await remote.meta('/Papers/Inner')).kind).toBe('folder');

    const conflict = await failure(remote.delete('/Papers', 'not-the-rev'));
    expect(conflict).toBeInstanceOf(RemoteConflictError);
    expect(conflict).toMatchObject({ code: 'conflict', detail: { status: 409, serviceCode: 'conflict', retryable: false } });
    expect((conflict as RemoteConflictError).current).toMatchObject({ id: docs.id, path: '/Papers', rev: moved.rev });

    const deleted = await remote.delete('/Papers', moved.rev);
    expect(deleted.id).toBe(docs.id);
    const missing = await failure(remote.meta('/Papers'));
    expect(missing).toMatchObject({ code: 'not_found', detail: { status: 404, serviceCode: 'not_found' } });
  });

  it('maps path refusals and clashes to typed errors', async () => {
    await remote.mkdir('/Clash');
    expect(await failure(remote.meta('/a/../b'))).toMatchObject({ code: 'invalid_name', detail: { status: 400, serviceCode: 'invalid_path' } });
    expect(await failure(remote.mkdir('/Nope/Child'))).toMatchObject({ code: 'conflict', detail: { serviceCode: 'parent_not_found' } });
    expect(await failure(remote.mkdir('/clash'))).toMatchObject({ code: 'conflict', detail: { serviceCode: 'case_conflict' } });
  });

  it('uploads in chunks (buffer and re-openable stream), resumes from status, completes, and downloads ranges', async () => {
    const dir = tempDir();
    const bytes = randomBytes(2 * BLOCK_SIZE + 12_345);
    const file = join(dir, 'big.bin');
    writeFileSync(file, bytes);
    const digest = hashBytes(bytes);
    const request = { path: '/big.bin', size: digest.size, contentHash: digest.contentHash, blockHashes: digest.blockHashes, mtime: 1_700_000_000_000, ifRev: null };

    const start = await remote.createUpload(request);
    if (start.status !== 'upload') throw new Error(`expected an upload session, got ${start.status}`);
    expect(start).toMatchObject({ chunkSize: BLOCK_SIZE, chunkCount: 3, received: [] });

    const progress: number[] = [];
    await remote.putChunk(start.uploadId, 0, bytes.subarray(0, BLOCK_SIZE), { onProgress: (sent) => progress.push(sent) });
    expect(progress.at(-1)).toBe(BLOCK_SIZE);
    const streamed = await remote.putChunk(start.uploadId, 2, () => createReadStream(file, { start: 2 * BLOCK_SIZE }));
    expect(streamed.received).toEqual([0, 2]);
    expect((await remote.uploadStatus(start.uploadId)).received).toEqual([0, 2]);

    const incomplete = await failure(remote.completeUpload(start.uploadId));
    expect(incomplete.detail.serviceCode).toBe('upload_incomplete');
    await remote.putChunk(start.uploadId, 1, bytes.subarray(BLOCK_SIZE, 2 * BLOCK_SIZE));
    const node = await remote.completeUpload(start.uploadId);
    expect(node).toMatchObject({ path: '/big.bin', kind: 'file', size: bytes.length, contentHash: digest.contentHash });

    const whole = await remote.download('/big.bin');
    expect(whole).toMatchObject({ status: 200, contentHash: digest.contentHash, length: bytes.length, totalSize: bytes.length });
    expect((await buffer(whole.body)).equals(bytes)).toBe(true);

    const range = await remote.download('/big.bin', { range: { start: BLOCK_SIZE - 10, end: BLOCK_SIZE + 9 } });
    expect(range).toMatchObject({ status: 206, length: 20, totalSize: bytes.length });
    expect((await buffer(range.body)).equals(bytes.subarray(BLOCK_SIZE - 10, BLOCK_SIZE + 10))).toBe(true);

    const unchanged = await remote.download('/big.bin', { ifNoneMatch: digest.contentHash });
    expect(unchanged).toMatchObject({ status: 304, length: 0 });
    unchanged.body.resume();

    const beyond = await failure(remote.download('/big.bin', { range: { start: bytes.length + 5, end: bytes.length + 10 } }));
    expect(beyond.detail).toMatchObject({ status: 416, serviceCode: 'range_not_satisfiable' });
  });

  it('reports a download cut off mid-body as a retryable network error', async () => {
    const proxy = await startFaultProxy(server.url);
    try {
      const viaProxy = await signedInStore(proxy.url, server.api);
      const bytes = randomBytes(100_000);
      const [result] = await viaProxy.batchUpload([{ path: '/cut.bin', content: bytes, contentHash: hashBytes(bytes).contentHash, mtime: 1 }]);
      expect(result?.ok).toBe(true);
      proxy.setPlan(({ url }) => (url.startsWith('/api/v1/files/content') ? { kind: 'truncateResponse', afterBytes: 70_000 } : { kind: 'pass' }));
      // Where the cut shows depends on what reached the socket first: the answer or its body.
      const error = await viaProxy.download('/cut.bin').then((download) => buffer(download.body)).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(SyncError);
      expect((error as SyncError).code).toBe('network');
      expect((error as SyncError).retryable).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('stops sending a chunk when its signal aborts (pause), and the chunk can be sent again later', async () => {
    const bytes = randomBytes(BLOCK_SIZE);
    const digest = hashBytes(bytes);
    const start = await remote.createUpload({ path: '/paused.bin', size: bytes.length, contentHash: digest.contentHash, blockHashes: digest.blockHashes, mtime: 1 });
    if (start.status !== 'upload') throw new Error('expected an upload session');
    const controller = new AbortController();
    const paused = await failure(remote.putChunk(start.uploadId, 0, bytes, { signal: controller.signal, onProgress: () => controller.abort() }));
    expect(paused.code).toBe('aborted');
    expect(paused.retryable).toBe(false);
    // The service may still be unwinding the cut request: chunk_busy is a refusal worth retrying.
    let resumed;
    for (;;) {
      const attempt = await remote.putChunk(start.uploadId, 0, bytes).catch((e: unknown) => e);
      if (!(attempt instanceof SyncError && attempt.detail.serviceCode === 'chunk_busy' && attempt.retryable)) {
        resumed = attempt as Awaited<ReturnType<HttpRemoteStore['putChunk']>>;
        break;
      }
    }
    expect(resumed.received).toEqual([0]);
    expect((await remote.completeUpload(start.uploadId)).contentHash).toBe(digest.contentHash);
  });

  it('refuses a chunk whose bytes do not match its block digest', async () => {
    const bytes = randomBytes(1000);
    const digest = hashBytes(bytes);
    const start = await remote.createUpload({ path: '/bad.bin', size: 1000, contentHash: digest.contentHash, blockHashes: digest.blockHashes, mtime: 1 });
    if (start.status !== 'upload') throw new Error('expected an upload session');
    const error = await failure(remote.putChunk(start.uploadId, 0, randomBytes(1000)));
    expect(error).toMatchObject({ code: 'hash_mismatch', detail: { serviceCode: 'chunk_hash_mismatch' } });
    await remote.abortUpload(start.uploadId);
    expect((await failure(remote.uploadStatus(start.uploadId))).code).toBe('not_found');
  });

  it('uploads known content instantly after proving possession of the challenged range', async () => {
    const dir = tempDir();
    const bytes = randomBytes(BLOCK_SIZE + 777);
    const file = join(dir, 'copy.bin');
    writeFileSync(file, bytes);
    const digest = hashBytes(bytes);
    const request = (path: string) => ({ path, size: digest.size, contentHash: digest.contentHash, blockHashes: digest.blockHashes, mtime: 5 });

    const first = await remote.createUpload(request('/original.bin'));
    if (first.status !== 'upload') throw new Error('expected an upload session');
    for (let n = 0; n < first.chunkCount; n++) {
      await remote.putChunk(first.uploadId, n, bytes.subarray(n * first.chunkSize, (n + 1) * first.chunkSize));
    }
    await remote.completeUpload(first.uploadId);

    const second = await remote.createUpload(request('/copy.bin'));
    if (second.status !== 'challenge') throw new Error(`expected a challenge, got ${second.status}`);
    const done = await remote.answerChallenge(request('/copy.bin'), second.challenge, file);
    expect(done).toMatchObject({ status: 'done', node: { path: '/copy.bin', contentHash: digest.contentHash, size: bytes.length } });

    // Bytes that are not the content cannot answer a challenge.
    const third = await remote.createUpload(request('/forged.bin'));
    if (third.status !== 'challenge') throw new Error('expected a challenge');
    const forged = join(dir, 'forged.bin');
    writeFileSync(forged, randomBytes(bytes.length));
    const refused = await failure(remote.answerChallenge(request('/forged.bin'), third.challenge, forged));
    expect(refused.detail).toMatchObject({ status: 403, serviceCode: 'proof_invalid' });
  });

  it('commits small files in one batch, each answered on its own', async () => {
    const content = Buffer.from('hello batch');
    const results = await remote.batchUpload([
      { path: '/small.txt', content, contentHash: hashBytes(content).contentHash, mtime: 7 },
      { path: '/wrong.txt', content, contentHash: hashBytes(Buffer.from('other')).contentHash, mtime: 7 },
    ]);
    expect(results[0]).toMatchObject({ path: '/small.txt', ok: true, node: { size: content.length } });
    expect(results[1]).toMatchObject({ path: '/wrong.txt', ok: false });
    if (results[1]?.ok !== false) throw new Error('expected the second file to be refused');
    expect(results[1].error).toBeInstanceOf(SyncError);
    expect(results[1].error.detail.serviceCode).toBe('content_hash_mismatch');
    expect((await buffer((await remote.download('/small.txt')).body)).toString()).toBe('hello batch');
  });

  it('lists a file\'s versions and restores one; refusals keep their service codes', async () => {
    const put = (text: string) => remote.batchUpload([{ path: '/v.txt', content: Buffer.from(text), contentHash: hashBytes(Buffer.from(text)).contentHash, mtime: 1 }]);
    await put('first');
    await put('second');
    const history = await remote.listVersions('/v.txt');
    expect(history.path).toBe('/v.txt');
    expect(history.versions.map((v) => [v.current, v.size, v.device])).toEqual([[true, 6, 'unnamed device'], [false, 5, 'unnamed device']]);
    const restored = await remote.restoreVersion({ path: '/v.txt', versionId: history.versions[1]!.versionId });
    expect(restored).toMatchObject({ path: '/v.txt', contentHash: hashBytes(Buffer.from('first')).contentHash });
    expect((await buffer((await remote.download('/v.txt')).body)).toString()).toBe('first');
    expect((await failure(remote.listVersions('/none.txt'))).detail.serviceCode).toBe('not_found');
    expect((await failure(remote.restoreVersion({ path: '/v.txt', versionId: '0'.repeat(32) }))).detail.serviceCode).toBe('version_not_found');
  });

  it('reads the change feed, wakes a long poll on a change, and aborts a long poll', async () => {
    const own = await signedInStore(server.url, server.api);
    const initial = await own.changes(0);
    expect(initial).toEqual({ changes: [], refused: [], cursor: initial.cursor, hasMore: false });

    const polled = requestArrival(server, '/api/v1/changes');
    const waiting = own.changes(initial.cursor, { waitSeconds: 30 });
    await polled;
    await own.mkdir('/Woke');
    const woke = await waiting;
    expect(woke.changes.map((change) => [change.op, change.path, change.node.kind])).toEqual([['create', '/Woke', 'folder']]);
    expect(woke.cursor).toBeGreaterThan(initial.cursor);

    const controller = new AbortController();
    const arrived = requestArrival(server, '/api/v1/changes');
    const pending = own.changes(woke.cursor, { waitSeconds: 30, signal: controller.signal });
    await arrived;
    controller.abort();
    expect((await failure(pending)).code).toBe('aborted');
  });
});

describe('HttpRemoteStore against a broken service', () => {
  let fake: Server;
  let fakeUrl: string;

  beforeAll(async () => {
    // Answers every request with the given status and body, whatever was asked.
    fake = createServer((request, response) => {
      request.resume();
      const [status, body] = request.url?.includes('/auth/')
        ? [200, JSON.stringify({ accessToken: 'a', refreshToken: 'r', expiresIn: 900, user: { id: 'u', username: 'fake', displayName: 'f', createdAt: 1 } })]
        : request.url?.includes('/files/meta') ? [200, '{"entry": {"id": 1'] : request.url?.includes('/files?') ? [200, '{"entries": [{"id": "x"}]}'] : [502, '<html>bad gateway</html>'];
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => fake.close(resolve));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function storeAt(url: string): Promise<HttpRemoteStore> {
    const client = new ApiClient(url);
    const session = new TokenSession({ api: client, credentials: new FileCredentialStore(tempDir()) });
    await session.login('fake', 'password');
    return new HttpRemoteStore(client, session);
  }

  it('turns malformed JSON and off-contract answers into typed service errors', async () => {
    const store = await storeAt(fakeUrl);
    expect(await failure(store.meta('/x'))).toMatchObject({ code: 'service', detail: { status: 200, retryable: false } });
    // One entry off the contract costs only that entry: it is refused, and said so.
    expect(await store.list('/')).toEqual({ nodes: [], refused: [{ path: '(no path: undefined)', reason: expect.stringContaining('path') }] });
    const gateway = await failure(store.mkdir('/x'));
    expect(gateway).toMatchObject({ code: 'service', detail: { status: 502 } });
    expect(gateway.retryable).toBe(true);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const session = new TokenSession({ api: new ApiClient(`http://127.0.0.1:${port}`), credentials: new FileCredentialStore(tempDir()) });
    const error = await failure(session.login('someone', 'password'));
    expect(error.code).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('fails fast as signed_out when no one is signed in', async () => {
    const client = new ApiClient(fakeUrl);
    const store = new HttpRemoteStore(client, new TokenSession({ api: client, credentials: new FileCredentialStore(tempDir()) }));
    expect((await failure(store.list('/'))).code).toBe('signed_out');
  });
});

describe('HttpRemoteStore when the access token expires mid-transfer', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer((config) => {
      config.jwt.accessTtlSeconds = 2;
      config.chunkSize = BLOCK_SIZE;
    });
  });
  afterAll(async () => {
    await server.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A store signed in as a new user, and `expire()`, which returns once the service no longer takes its access token. */
  async function signedIn(): Promise<{ remote: HttpRemoteStore; session: TokenSession; expire(): Promise<string> }> {
    const { user } = await signUp(server.api);
    const client = new ApiClient(server.url);
    // A frozen clock: only the service's 401 tells the session that its token aged.
    const session = new TokenSession({ api: client, credentials: new FileCredentialStore(tempDir()), clock: { now: () => 0 } });
    await session.login(user.username, TEST_PASSWORD);
    const expire = async () => {
      const stale = await session.accessToken();
      while (await client.call({ method: 'GET', path: '/me', accessToken: stale }, meResponse).then(() => true, () => false)) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return stale;
    };
    return { remote: new HttpRemoteStore(client, session), session, expire };
  }

  it('refreshes once and re-opens the chunk stream, and a download can be aborted while streaming', async () => {
    const { remote, expire } = await signedIn();
    const bytes = randomBytes(BLOCK_SIZE);
    const file = join(tempDir(), 'chunk.bin');
    writeFileSync(file, bytes);
    const digest = hashBytes(bytes);
    const start = await remote.createUpload({ path: '/late.bin', size: bytes.length, contentHash: digest.contentHash, blockHashes: digest.blockHashes, mtime: 1 });
    if (start.status !== 'upload') throw new Error('expected an upload session');

    await expire();
    let opened = 0;
    const status = await remote.putChunk(start.uploadId, 0, () => {
      opened += 1;
      return createReadStream(file);
    });
    expect(opened).toBe(2);
    expect(status.received).toEqual([0]);
    await remote.completeUpload(start.uploadId);

    const controller = new AbortController();
    const download = await remote.download('/late.bin', { signal: controller.signal });
    const received: Buffer[] = [];
    const reading = (async () => {
      for await (const part of download.body) {
        received.push(part as Buffer);
        controller.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ name: 'SyncError', code: 'aborted' });
    expect(Buffer.concat(received).length).toBeLessThan(bytes.length);
  });

  it('sends a batch again, whole, with the refreshed token', async () => {
    const { remote, session, expire } = await signedIn();
    const stale = await expire();
    const files = [randomBytes(300_000), randomBytes(10)].map((content, i) => ({ path: `/late${i}.bin`, content, contentHash: hashBytes(content).contentHash, mtime: 1 }));
    const results = await remote.batchUpload(files);
    expect(results.map((result) => result.ok)).toEqual([true, true]);
    expect(await session.accessToken()).not.toBe(stale);
    for (const { path, content } of files) expect((await buffer((await remote.download(path)).body)).equals(content)).toBe(true);
  });
});

describe('HttpRemoteStore against a service that answers about other paths', () => {
  let service: HostileService;
  let store: HttpRemoteStore;
  beforeAll(async () => {
    service = await HostileService.start();
    const client = new ApiClient(service.url);
    const session = new TokenSession({ api: client, credentials: new FileCredentialStore(tempDir()) });
    await session.login('victim', 'password');
    store = new HttpRemoteStore(client, session);
  });
  afterAll(() => service.close());

  it('refuses an entry answer for another path than the one asked, and a batch answered out of order', async () => {
    service.scripted.set('POST /files/mkdir', () => ({ entry: folderEntry('/elsewhere') }));
    service.scripted.set('POST /files/move', () => ({ entry: folderEntry('/from') }));
    service.scripted.set('POST /uploads', () => ({ status: 'done', entry: fileEntry('/other.txt', Buffer.from('x')) }));
    service.scripted.set('POST /uploads/batch/binary', () => ({ results: [
      { path: '/b.txt', status: 'done', entry: fileEntry('/b.txt', Buffer.from('b')) },
      { path: '/a.txt', status: 'done', entry: fileEntry('/a.txt', Buffer.from('a')) },
    ] }));
    const malformed = { code: 'service', detail: { status: 200, retryable: false } };
    expect(await failure(store.mkdir('/asked'))).toMatchObject(malformed);
    expect(await failure(store.move('/from', '/to'))).toMatchObject(malformed);
    const a = hashBytes(Buffer.from('a')).contentHash;
    expect(await failure(store.createUpload({ path: '/mine.txt', size: 1, contentHash: a, blockHashes: [], mtime: 1, ifRev: null }))).toMatchObject(malformed);
    const file = (path: string) => ({ path, content: Buffer.from(path), contentHash: a, mtime: 1, ifRev: null });
    expect(await failure(store.batchUpload([file('/a.txt'), file('/b.txt')]))).toMatchObject(malformed);
    // In order, the same answer is taken.
    expect((await store.batchUpload([file('/b.txt'), file('/a.txt')])).map((result) => result.ok && result.node.path)).toEqual(['/b.txt', '/a.txt']);
  });

  it('refuses a version history of another file, or with a malformed version', async () => {
    const version = { versionId: 'a'.repeat(32), size: 1, contentHash: hashBytes(Buffer.from('x')).contentHash, mtime: 1, writtenAt: 1, device: 'pc', current: true };
    service.scripted.set('GET /files/versions', () => ({ entry: fileEntry('/other.txt', Buffer.from('x')), versions: [version] }));
    const malformed = { code: 'service', detail: { status: 200, retryable: false } };
    expect(await failure(store.listVersions('/asked.txt'))).toMatchObject(malformed);
    service.scripted.set('GET /files/versions', () => ({ entry: fileEntry('/asked.txt', Buffer.from('x')), versions: [{ ...version, versionId: '../x' }] }));
    expect(await failure(store.listVersions('/asked.txt'))).toMatchObject(malformed);
    service.scripted.set('POST /files/versions/restore', () => ({ entry: fileEntry('/elsewhere.txt', Buffer.from('x')) }));
    expect(await failure(store.restoreVersion({ path: '/asked.txt', versionId: 'a'.repeat(32) }))).toMatchObject(malformed);
    service.scripted.set('GET /files/versions', () => ({ entry: fileEntry('/asked.txt', Buffer.from('x')), versions: [version] }));
    expect(await store.listVersions('/asked.txt')).toEqual({ path: '/asked.txt', versions: [version] });
  });

  it('refuses a share link other than the one asked for, or one it could not show safely', async () => {
    const id = 'A'.repeat(22);
    const good = {
      id, url: `${service.url}/s/${id}`, path: '/docs/report.pdf', name: 'report.pdf', kind: 'file', code: 'q7w8',
      createdAt: 1, expiresAt: 1 + 7 * 86_400_000, maxDownloads: 5, downloads: 0, state: 'active',
    };
    const asked = { path: '/docs/report.pdf', code: 'Q7W8', expiresInSeconds: 7 * 86_400, maxDownloads: 5 };
    const malformed = { code: 'service', detail: { status: 200, retryable: false } };
    const answering = (share: Record<string, unknown>) => service.scripted.set('POST /shares', () => ({ share: { ...good, ...share } }));
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['another entry', { path: '/docs/other.pdf', name: 'other.pdf' }, asked],
      ['a deleted entry', { path: null }, asked],
      ['a javascript: link', { url: 'javascript:alert(document.cookie)' }, asked],
      ['a file: link', { url: 'file:///etc/passwd' }, asked],
      ['a name with a terminal escape', { name: 'report\u001b]0;owned\u0007.pdf' }, asked],
      ['a name with a slash', { name: '../report.pdf' }, asked],
      ['no code although one was chosen', { code: null }, asked],
      ['another code than the one chosen', { code: 'zzzz' }, asked],
      ['no code although one was to be generated', { code: null }, { path: asked.path }],
      ['a code although none was asked', {}, { path: asked.path, code: null, expiresInSeconds: asked.expiresInSeconds, maxDownloads: 5 }],
      ['no download limit although one was asked', { maxDownloads: null }, asked],
      ['no expiry although one was asked', { expiresAt: null }, asked],
      ['an expiry although none was asked', {}, { path: asked.path, code: 'q7w8', maxDownloads: 5 }],
      ['a link already revoked', { state: 'revoked' }, asked],
    ];
    for (const [what, answer, request] of cases) {
      answering(answer);
      expect(await failure(store.createShare(request as typeof asked)), what).toMatchObject(malformed);
    }
    answering({});
    expect(await store.createShare(asked)).toEqual(good);

    service.scripted.set(`DELETE /shares/${id}`, () => ({ share: { ...good, id: 'B'.repeat(22), state: 'revoked' } }));
    expect(await failure(store.revokeShare(id))).toMatchObject(malformed);
    service.scripted.set(`DELETE /shares/${id}`, () => ({ share: good }));
    expect(await failure(store.revokeShare(id))).toMatchObject(malformed);
    service.scripted.set(`DELETE /shares/${id}`, () => ({ share: { ...good, state: 'revoked' } }));
    expect((await store.revokeShare(id)).state).toBe('revoked');

    service.scripted.set('GET /shares', () => ({ shares: [good, { ...good, id: 'C'.repeat(22), url: 'javascript:void 0' }] }));
    expect(await failure(store.listShares())).toMatchObject(malformed);
    service.scripted.set('GET /shares', () => ({ shares: [good] }));
    expect(await store.listShares()).toEqual([good]);
  });

  it('refuses a version whose device name carries control characters (a terminal would obey them)', async () => {
    const version = { versionId: 'b'.repeat(32), size: 1, contentHash: hashBytes(Buffer.from('x')).contentHash, mtime: 1, writtenAt: 1, device: 'pc', current: true };
    service.scripted.set('GET /files/versions', () => ({ entry: fileEntry('/v.txt', Buffer.from('x')), versions: [{ ...version, device: 'pc\u001b[2J\u001b[31mrm -rf' }] }));
    expect(await failure(store.listVersions('/v.txt'))).toMatchObject({ code: 'service', detail: { status: 200, retryable: false } });
    service.scripted.set('GET /files/versions', () => ({ entry: fileEntry('/v.txt', Buffer.from('x')), versions: [{ ...version, device: '笔记本 (laptop)' }] }));
    expect((await store.listVersions('/v.txt')).versions[0]!.device).toBe('笔记本 (laptop)');
  });

  it('sets apart a refused change of a feed page and still moves the cursor past it', async () => {
    service.create(folderEntry('/ok'));
    service.push({ op: 'create', path: '/../x', entry: folderEntry('/../x') });
    const page = await store.changes(0);
    expect(page.changes.map((change) => change.path)).toEqual(['/ok']);
    expect(page.refused).toEqual([{ path: '/../x', reason: expect.stringContaining('".."') }]);
    expect(page.cursor).toBe(2);
  });
});
