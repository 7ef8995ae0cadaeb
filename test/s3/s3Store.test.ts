import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUploadRequest, entryResponse, uploadStatusSchema } from '../../protocol/api.js';
import { BLOCK_SIZE, blockCount, contentHashOfBlocks, hashBytes, possessionProof, sha256Hex } from '../../protocol/contentHash.js';
import { FileCredentialStore } from '../../app/auth/fileCredentialStore.js';
import { TokenSession } from '../../app/auth/tokenSession.js';
import { ApiClient } from '../../app/remote/apiClient.js';
import { HttpRemoteStore } from '../../app/remote/httpRemoteStore.js';
import { S3BlobStore, type S3Settings } from '../../server/blobs/s3BlobStore.js';
import { S3_MAX_PARTS } from '../../server/blobs/s3Limits.js';
import { SqliteFileStore } from '../../server/files/sqliteFileStore.js';
import { ProofChallenges } from '../../server/uploads/challenges.js';
import { SqliteChallengeStore } from '../../server/uploads/challengeStore.js';
import { ContentPins } from '../../server/uploads/contentPins.js';
import { CONTENT_GRACE_MS, collectGarbage } from '../../server/uploads/garbage.js';
import { StorageQuota } from '../../server/uploads/quota.js';
import { SqliteUploadSessionStore } from '../../server/uploads/sessionStore.js';
import { Uploads } from '../../server/uploads/uploads.js';
import { signUp, TEST_PASSWORD } from '../helpers/accounts.js';
import { createBucket } from '../helpers/blobBackends.js';
import { jsonRequest } from '../helpers/jsonRequest.js';
import { rgwMissing, startGateway, startRgw, stopGateway, stopRgw, type RgwInfo } from '../helpers/rgw.js';
import { sharedRgw } from '../helpers/sharedRgw.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { chunkOf, createUpload, download, putChunk, putChunks, uploadFile, uploadRequest } from '../helpers/uploads.js';

const CHUNK = 2 * BLOCK_SIZE;
/** Three chunks: 8, 8 and 1 MiB. */
const SIZE = 2 * CHUNK + 1024 * 1024 + 99;

/** Made-up block digests (and their content hash) for a `size`-byte file that is never sent. */
function hashesFor(size: number): { blockHashes: string[]; contentHash: string } {
  const blockHashes = Array.from({ length: blockCount(size) }, (_, i) => sha256Hex(Buffer.from(String(i))));
  return { blockHashes, contentHash: contentHashOfBlocks(blockHashes) };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-s3-'));
  dirs.push(dir);
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function s3Env(settings: S3Settings): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NETDISK_BLOBS: 's3',
    NETDISK_S3_ENDPOINT: settings.endpoint,
    NETDISK_S3_REGION: settings.region,
    NETDISK_S3_BUCKET: settings.bucket,
    NETDISK_S3_PREFIX: settings.prefix,
    NETDISK_S3_FORCE_PATH_STYLE: '1',
    // The SDK warns once on Node 20 that its 2027 releases need Node 22; that is not the service's line.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The built `netdisk-server` binary (needs `npx tsc -b`), as an operator runs it. */
function spawnService(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/netdisk-server.js', '--log-level', 'warn', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (part: Buffer) => (stderr += part.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await fetch(`${url}/api/v1/health`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the service did not come up');
}

/** Starts a chunk PUT, sends `sent` bytes of it, and leaves it hanging; `finish` sends the rest. */
function startChunk(api: string, auth: { authorization: string }, uploadId: string, n: number, bytes: Uint8Array, sent: number) {
  const req = httpRequest(new URL(`${api}/uploads/${uploadId}/chunks/${n}`), {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': bytes.length },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (part: Buffer) => (body += part.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
  const written = new Promise<void>((resolve) => req.write(bytes.subarray(0, sent), () => resolve()));
  return { written, answer, finish: () => req.end(bytes.subarray(sent)) };
}

/**
 * A plain forwarder in front of RGW that keeps the Host header (a presigned
 * URL's signature covers it) and records each request's headers, so a test
 * can see what a client sent to the content store.
 */
async function recordingForwarder(
  upstream: string,
  /** Answers S3's 503 SlowDown instead of forwarding when this says so. */
  throttle: (req: { method: string; index: number }) => boolean = () => false,
): Promise<{ url: string; seen: { method: string; url: string; headers: Record<string, unknown> }[]; close(): Promise<void> }> {
  const target = new URL(upstream);
  const seen: { method: string; url: string; headers: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    if (throttle({ method: req.method ?? '', index: seen.length - 1 })) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe.skipIf(rgwMissing() !== undefined)('the S3 blob store against Ceph RGW', () => {
  let rgw: RgwInfo;
  beforeAll(async () => {
    rgw = await sharedRgw();
  }, 180_000);

  it('refuses to start, in one line, with a missing bucket, refused credentials or chunks below S3\'s part size', async () => {
    const settings = await createBucket(rgw);
    const missing = spawnService(['--port', '0', '--data', tempDir()], { ...s3Env(settings), NETDISK_S3_BUCKET: 'no-such-bucket' });
    expect(await missing.exited).toBe(1);
    expect(missing.stderr().trim()).toBe(`netdisk-server: S3 bucket "no-such-bucket" at ${settings.endpoint} does not exist`);

    const wrongSecret = spawnService(['--port', '0', '--data', tempDir()], { ...s3Env(settings), AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(await wrongSecret.exited).toBe(1);
    expect(wrongSecret.stderr().trim().split('\n')).toHaveLength(1);
    expect(wrongSecret.stderr()).toContain(`bucket "${settings.bucket}" at ${settings.endpoint} refused the credentials`);

    const smallChunks = spawnService(['--port', '0', '--data', tempDir(), '--chunk-size', String(BLOCK_SIZE)], s3Env(settings));
    expect(await smallChunks.exited).toBe(2);
    expect(smallChunks.stderr()).toContain('must be between S3\'s part limits, 5242880 and');
  }, 60_000);

  it('resumes after a kill -9 mid-upload, re-sending only the chunks S3 had not confirmed', async () => {
    const settings = await createBucket(rgw);
    const data = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = ['--port', String(port), '--data', data, '--chunk-size', String(CHUNK)];
    let service = spawnService(args, s3Env(settings));
    try {
      await waitForHealth(url);
      const api = `${url}/api/v1`;
      const alice = await signUp(api);
      const bytes = randomBytes(SIZE);
      const { created } = await createUpload(api, alice.auth, uploadRequest('/resume.bin', bytes));
      if (created?.status !== 'upload') throw new Error('expected an upload session');
      expect((await putChunks(api, alice.auth, created, bytes, [0, 1])).received).toEqual([0, 1]);
      const cut = startChunk(api, alice.auth, created.uploadId, 2, chunkOf(bytes, CHUNK, 2), 300_000);
      await cut.written;
      service.child.kill('SIGKILL');
      await service.exited;
      await cut.answer;

      // The service died before recording those chunks (it batches that): only S3 knows them.
      const db = new Database(join(data, 'netdisk.sqlite'), { readonly: true });
      const recorded = db.prepare('SELECT n FROM upload_chunks WHERE upload_id = ?').pluck().all(created.uploadId);
      db.close();
      expect(recorded).toEqual([]);

      service = spawnService(args, s3Env(settings));
      await waitForHealth(url);
      const status = await jsonRequest(api, 'GET', `/uploads/${created.uploadId}`, { headers: alice.auth });
      expect(uploadStatusSchema.parse(status.body).received).toEqual([0, 1]);
      await putChunks(api, alice.auth, created, bytes, [2]);
      const completed = await jsonRequest(api, 'POST', `/uploads/${created.uploadId}/complete`, { headers: alice.auth });
      expect(completed.status).toBe(200);
      expect(entryResponse.parse(completed.body).entry.size).toBe(SIZE);
      expect((await download(api, alice.auth, '/resume.bin')).bytes.equals(bytes)).toBe(true);
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      await service.exited;
    }
  }, 120_000);

  it('refuses at create an upload of more chunks than S3\'s 10,000 parts, before storing anything', async () => {
    const settings = await createBucket(rgw);
    const server = await startTestServer((config) => {
      config.blobs = { kind: 's3', ...settings, presign: false };
      // Room in the user's quota and upload caps, so that only S3's part limit can refuse.
      config.limits.quotaBytes = 2 ** 50;
      config.limits.maxPendingUploadBytes = 2 ** 50;
    });
    // Through HTTP the 1 MiB JSON limit on the block digests stops such a file first (about 61 GiB); the limit
    // still guards the store, so it is asked of the upload service directly, as the route would.
    const db = new Database(join(server.config.dataDir, 'netdisk.sqlite'));
    try {
      const alice = await signUp(server.api);
      const now = Date.now;
      const files = new SqliteFileStore(db, { now });
      const sessions = new SqliteUploadSessionStore(db);
      const uploads = new Uploads({
        files, blobs: new S3BlobStore(settings), sessions, challenges: new ProofChallenges(new SqliteChallengeStore(db), now), pins: new ContentPins(),
        quota: new StorageQuota(files, sessions, server.config.limits, now),
        chunkSize: server.config.chunkSize, uploadTtlSeconds: server.config.uploadTtlSeconds, maxChunks: S3_MAX_PARTS, now,
      });
      const size = S3_MAX_PARTS * server.config.chunkSize + 1;
      const request = createUploadRequest.parse({ path: '/huge.bin', size, ...hashesFor(size), mtime: 0 });
      await expect(uploads.create(alice.user.id, request)).rejects.toMatchObject({
        code: 'payload_too_large', status: 413, details: { maxSize: S3_MAX_PARTS * server.config.chunkSize },
      });
      expect(db.prepare('SELECT COUNT(*) FROM upload_sessions').pluck().get()).toBe(0);
      const fits = await uploads.create(alice.user.id, { ...request, size: size - 1, ...hashesFor(size - 1) });
      expect(fits.status).toBe(201);
    } finally {
      db.close();
      await server.close();
    }
  }, 60_000);

  it('retries with backoff when S3 answers 503 SlowDown, and reports storage_unavailable when it keeps doing so', async () => {
    const settings = await createBucket(rgw);
    let slowDowns = 2;
    const forwarder = await recordingForwarder(rgw.endpoint, ({ method }) => method === 'PUT' && slowDowns-- > 0);
    try {
      const store = new S3BlobStore({ ...settings, endpoint: forwarder.url });
      const bytes = randomBytes(1000);
      const { contentHash } = hashBytes(bytes);
      await store.putSmall(contentHash, bytes);
      expect(forwarder.seen.filter((r) => r.method === 'PUT')).toHaveLength(3);
      expect(await store.has(contentHash)).toBe(true);

      slowDowns = Number.POSITIVE_INFINITY;
      const other = randomBytes(1000);
      const before = forwarder.seen.length;
      await expect(store.putSmall(hashBytes(other).contentHash, other)).rejects.toMatchObject({ code: 'storage_unavailable', status: 503 });
      // The SDK's standard strategy: 4 attempts in all.
      expect(forwarder.seen.length - before).toBe(4);
    } finally {
      await forwarder.close();
    }
  }, 60_000);

  describe('with presigned downloads', () => {
    let server: TestServer;
    let forwarder: Awaited<ReturnType<typeof recordingForwarder>>;
    beforeAll(async () => {
      forwarder = await recordingForwarder(rgw.endpoint);
      const settings = await createBucket(rgw);
      server = await startTestServer((config) => {
        config.blobs = { kind: 's3', ...settings, endpoint: forwarder.url, presign: true };
      });
    });
    afterAll(async () => {
      await server.close();
      await forwarder.close();
    });

    it('redirects a GET to a short-lived presigned URL that honours Range, after checking access', async () => {
      const alice = await signUp(server.api);
      const bytes = randomBytes(SIZE);
      const entry = await uploadFile(server.api, alice.auth, '/movie.bin', bytes);
      const answer = await fetch(`${server.api}/files/content?path=/movie.bin`, { headers: { ...alice.auth, range: 'bytes=100-199' }, redirect: 'manual' });
      expect(answer.status).toBe(302);
      expect(answer.headers.get('etag')).toBe(`"${entry.contentHash}"`);
      const location = new URL(answer.headers.get('location')!);
      expect(location.origin).toBe(forwarder.url);
      expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
      const ranged = await fetch(location, { headers: { range: 'bytes=100-199' } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
      // Access is the service's to check: no redirect for another user, nor for a 304.
      const bob = await signUp(server.api);
      expect((await fetch(`${server.api}/files/content?path=/movie.bin`, { headers: bob.auth, redirect: 'manual' })).status).toBe(404);
      const unchanged = await fetch(`${server.api}/files/content?path=/movie.bin`, {
        headers: { ...alice.auth, 'if-none-match': `"${entry.contentHash}"` }, redirect: 'manual',
      });
      expect(unchanged.status).toBe(304);
    });

    it('the sync client follows the redirect without its bearer token and gets the ranged bytes with the service\'s ETag', async () => {
      const { user, auth } = await signUp(server.api);
      const bytes = randomBytes(SIZE);
      const entry = await uploadFile(server.api, auth, '/clip.bin', bytes);
      const client = new ApiClient(server.url);
      const session = new TokenSession({ api: client, credentials: new FileCredentialStore(tempDir()) });
      await session.login(user.username, TEST_PASSWORD);
      const remote = new HttpRemoteStore(client, session);
      const before = forwarder.seen.length;
      const start = CHUNK - 10;
      const got = await remote.download('/clip.bin', { range: { start, end: start + CHUNK - 1 } });
      expect(got.status).toBe(206);
      expect(got.contentHash).toBe(entry.contentHash);
      expect(got.totalSize).toBe(SIZE);
      expect((await buffer(got.body)).equals(bytes.subarray(start, start + CHUNK))).toBe(true);
      const toStore = forwarder.seen.slice(before).filter((r) => r.url.includes('X-Amz-Signature'));
      expect(toStore).toHaveLength(1);
      expect(toStore[0]!.headers.authorization).toBeUndefined();
      expect(JSON.stringify(toStore[0]!.headers)).not.toContain('Bearer');
      expect(toStore[0]!.headers.range).toBe(`bytes=${start}-${start + CHUNK - 1}`);
    });
  });

  it('never lets collection delete content an instant upload is committing, whichever comes first', async () => {
    const settings = await createBucket(rgw);
    let clock = Date.now();
    const now = (): number => clock;
    const server = await startTestServer((config) => {
      config.blobs = { kind: 's3', ...settings, presign: false };
    }, { now });
    const db = new Database(join(server.config.dataDir, 'netdisk.sqlite'));
    try {
      const alice = await signUp(server.api);
      const bob = await signUp(server.api);
      // Collection and Bob's instant upload in one process, sharing the pins, as in the service.
      const store = new S3BlobStore(settings);
      const pins = new ContentPins();
      const challenges = new ProofChallenges(new SqliteChallengeStore(db), now);
      const files = new SqliteFileStore(db, { now });
      const sessions = new SqliteUploadSessionStore(db);
      const uploads = new Uploads({
        files, blobs: store, sessions, challenges, pins, quota: new StorageQuota(files, sessions, server.config.limits, now),
        chunkSize: server.config.chunkSize, uploadTtlSeconds: server.config.uploadTtlSeconds, now,
      });
      // Round 0: collection starts first; 1: the commit starts first; 2: the commit arrives while S3 is deleting the object.
      for (const round of [0, 1, 2]) {
        const bytes = randomBytes(300_000);
        const path = `/race-${round}.bin`;
        const { contentHash } = await uploadFile(server.api, alice.auth, path, bytes);
        await jsonRequest(server.api, 'POST', '/files/delete', { headers: alice.auth, body: { path } });
        await files.purgeTrash(clock + 1);
        clock += CONTENT_GRACE_MS + 1;

        const request = createUploadRequest.parse(uploadRequest(path, bytes));
        const asked = await uploads.create(bob.user.id, request);
        if (asked.body.status !== 'challenge') throw new Error('expected a challenge');
        const c = asked.body.challenge;
        const proof = { id: c.id, value: possessionProof(c.nonce, bytes.subarray(c.offset, c.offset + c.length)) };
        const commit = (): Promise<string> => uploads.create(bob.user.id, { ...request, proof })
          .then(() => 'committed', (error: { code?: string }) => error.code ?? String(error));

        let outcome: string;
        if (round === 2) {
          let deleting!: () => void;
          const deleteStarted = new Promise<void>((resolve) => (deleting = resolve));
          let release!: () => void;
          const released = new Promise<void>((resolve) => (release = resolve));
          // The real store, with its delete held open until the commit has arrived.
          const gated = Object.assign(Object.create(store) as S3BlobStore, {
            delete: async (hash: string) => {
              deleting();
              await released;
              await store.delete(hash);
            },
          });
          const collecting = collectGarbage({ uploads, files, blobs: gated, pins, challenges, now });
          await deleteStarted;
          const committing = commit();
          release();
          [, outcome] = await Promise.all([collecting, committing]);
          expect(outcome).toBe('proof_invalid');
        } else {
          const collecting = () => collectGarbage({ uploads, files, blobs: store, pins, challenges, now });
          outcome = round === 0
            ? (await Promise.all([collecting(), commit()]))[1]
            : (await Promise.all([commit(), collecting()]))[0];
        }
        const entry = await files.getEntry(bob.user.id, path);
        if (outcome === 'committed') {
          // Bob's file is readable: the content row and the object both survived.
          expect(entry?.contentHash).toBe(contentHash);
          expect(await store.has(contentHash!)).toBe(true);
          expect((await download(server.api, bob.auth, path)).bytes.equals(bytes)).toBe(true);
        } else {
          // Collection won: the proof is refused cleanly (the client then uploads the bytes) and nothing was committed.
          expect(outcome).toBe('proof_invalid');
          expect(entry).toBeNull();
          expect(await store.has(contentHash!)).toBe(false);
          expect(await files.hasContent(contentHash!)).toBeNull();
        }
      }
    } finally {
      db.close();
      await server.close();
    }
  }, 120_000);
});

describe.skipIf(rgwMissing() !== undefined)('an S3 outage mid-upload (its own RGW, which the test stops)', () => {
  let rgw: RgwInfo;
  let server: TestServer;
  beforeAll(async () => {
    rgw = await startRgw();
    const settings = await createBucket(rgw);
    server = await startTestServer((config) => {
      config.blobs = { kind: 's3', ...settings, presign: false };
      config.chunkSize = CHUNK;
    });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    if (rgw) await stopRgw(rgw);
  }, 60_000);

  it('answers storage_unavailable, commits nothing, and resumes once RGW is back', async () => {
    const alice = await signUp(server.api);
    const bytes = randomBytes(SIZE);
    const { created } = await createUpload(server.api, alice.auth, uploadRequest('/outage.bin', bytes));
    if (created?.status !== 'upload') throw new Error('expected an upload session');
    await putChunks(server.api, alice.auth, created, bytes, [0]);
    const midway = startChunk(server.api, alice.auth, created.uploadId, 1, chunkOf(bytes, CHUNK, 1), 2 * 1024 * 1024);
    await midway.written;
    await stopGateway(rgw, 'SIGKILL');
    midway.finish();
    const refused = await midway.answer;
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error).toMatchObject({ code: 'storage_unavailable' });
    expect(JSON.parse(refused.body).error.message).toContain('the content storage is unavailable');

    const early = await jsonRequest(server.api, 'POST', `/uploads/${created.uploadId}/complete`, { headers: alice.auth });
    expect([409, 503]).toContain(early.status);
    expect((await download(server.api, alice.auth, '/outage.bin')).status).toBe(404);

    await startGateway(rgw);
    const status = await jsonRequest(server.api, 'GET', `/uploads/${created.uploadId}`, { headers: alice.auth });
    expect(uploadStatusSchema.parse(status.body).received).toEqual([0]);
    const resumed = await putChunk(server.api, alice.auth, created.uploadId, 1, chunkOf(bytes, CHUNK, 1));
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    await putChunks(server.api, alice.auth, created, bytes, [2]);
    const completed = await jsonRequest(server.api, 'POST', `/uploads/${created.uploadId}/complete`, { headers: alice.auth });
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect((await download(server.api, alice.auth, '/outage.bin')).bytes.equals(bytes)).toBe(true);
  }, 120_000);
});
