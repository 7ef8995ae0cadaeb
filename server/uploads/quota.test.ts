import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchUploadResponse, meResponse, type StorageUsage } from '../../protocol/api.js';
import { errorBodySchema } from '../../protocol/errors.js';
import { hashBytes, possessionProof } from '../../protocol/contentHash.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { createUpload, uploadFile, uploadRequest } from '../../test/helpers/uploads.js';

const KIB = 1024;
const QUOTA = 1024 * KIB;

describe('per-user storage quota and upload caps', () => {
  let now = Date.now();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer((config) => {
      config.limits = { ...config.limits, quotaBytes: QUOTA, maxUploadSessions: 3, maxPendingUploadBytes: 900 * KIB };
    }, { now: () => now });
  });
  afterAll(() => server.close());

  async function storage(user: SignedUpUser): Promise<StorageUsage | undefined> {
    return meResponse.parse((await jsonRequest(server.api, 'GET', '/me', { headers: user.auth })).body).storage;
  }
  const staged = () => readdirSync(join(server.config.dataDir, 'staging')).length;
  const open = async (user: SignedUpUser, path: string, bytes: Uint8Array) => createUpload(server.api, user.auth, uploadRequest(path, bytes));
  const abort = (user: SignedUpUser, uploadId: string) => jsonRequest(server.api, 'DELETE', `/uploads/${uploadId}`, { headers: user.auth });

  it('/me reports used, reserved and quota; a session reserves its size until aborted or expired', async () => {
    const user = await signUp(server.api);
    expect(await storage(user)).toEqual({ usedBytes: 0, reservedBytes: 0, quotaBytes: QUOTA });
    await uploadFile(server.api, user.auth, '/a.bin', randomBytes(100 * KIB));
    expect(await storage(user)).toEqual({ usedBytes: 100 * KIB, reservedBytes: 0, quotaBytes: QUOTA });

    const first = await open(user, '/b.bin', randomBytes(200 * KIB));
    expect(first.status).toBe(201);
    expect((await storage(user))?.reservedBytes).toBe(200 * KIB);
    if (first.created?.status !== 'upload') throw new Error('expected a session');
    await abort(user, first.created.uploadId);
    expect((await storage(user))?.reservedBytes).toBe(0);

    await open(user, '/c.bin', randomBytes(300 * KIB));
    expect((await storage(user))?.reservedBytes).toBe(300 * KIB);
    now += server.config.uploadTtlSeconds * 1000 + 1;
    expect((await storage(user))?.reservedBytes).toBe(0);
    // Deleted files stay counted while in the trash: they can still be restored.
    await jsonRequest(server.api, 'POST', '/files/delete', { headers: user.auth, body: { path: '/a.bin' } });
    expect((await storage(user))?.usedBytes).toBe(100 * KIB);
  });

  it('an upload that does not fit is 507 quota_exceeded with the figures, and stages nothing', async () => {
    const user = await signUp(server.api);
    await uploadFile(server.api, user.auth, '/big.bin', randomBytes(600 * KIB));
    const before = staged();
    const refused = await open(user, '/more.bin', randomBytes(500 * KIB));
    expect([refused.status, errorCodeOf(refused)]).toEqual([507, 'quota_exceeded']);
    expect(errorBodySchema.parse(refused.body).error.details).toEqual({ usedBytes: 600 * KIB, reservedBytes: 0, quotaBytes: QUOTA, neededBytes: 500 * KIB });
    expect(staged()).toBe(before);
    // Open sessions count: two that fit one by one do not fit together.
    const a = await open(user, '/x.bin', randomBytes(300 * KIB));
    expect(a.status).toBe(201);
    expect(errorCodeOf(await open(user, '/y.bin', randomBytes(300 * KIB)))).toBe('quota_exceeded');
    // Replacing a file needs its whole size: the bytes it replaces stay, as a previous version.
    expect(errorCodeOf(await open(user, '/big.bin', randomBytes(200 * KIB)))).toBe('quota_exceeded');
    expect((await open(user, '/big.bin', randomBytes(100 * KIB))).status).toBe(201);
  });

  it('caps open sessions (3) and the bytes they declare together (900 KiB) with 429 rate_limited', async () => {
    const user = await signUp(server.api);
    for (let i = 0; i < 3; i++) expect((await open(user, `/s${i}`, randomBytes(KIB))).status).toBe(201);
    const fourth = await open(user, '/s3', randomBytes(KIB));
    expect([fourth.status, errorCodeOf(fourth)]).toEqual([429, 'rate_limited']);
    expect(errorBodySchema.parse(fourth.body).error.details).toEqual({ limit: 'upload_sessions', max: 3 });

    const other = await signUp(server.api);
    expect((await open(other, '/p0', randomBytes(500 * KIB))).status).toBe(201);
    const pending = await open(other, '/p1', randomBytes(450 * KIB));
    expect([pending.status, errorCodeOf(pending)]).toEqual([429, 'rate_limited']);
    expect(errorBodySchema.parse(pending.body).error.details).toEqual({ limit: 'pending_upload_bytes', max: 900 * KIB });
  });

  it('many parallel session requests cannot together take more than the quota', async () => {
    const user = await signUp(server.api);
    const answers = await Promise.all(Array.from({ length: 3 }, (_, i) => open(user, `/race${i}`, randomBytes(400 * KIB))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 507]);
    expect((await storage(user))?.reservedBytes).toBe(800 * KIB);
  });

  it('instant upload and batch upload count against the quota too', async () => {
    const owner = await signUp(server.api);
    const shared = randomBytes(300 * KIB);
    await uploadFile(server.api, owner.auth, '/shared.bin', shared);
    const user = await signUp(server.api);
    await uploadFile(server.api, user.auth, '/fill.bin', randomBytes(800 * KIB));
    const asked = await open(user, '/copy.bin', shared);
    if (asked.created?.status !== 'challenge') throw new Error('expected a challenge');
    const { challenge } = asked.created;
    const proof = { id: challenge.id, value: possessionProof(challenge.nonce, shared.subarray(challenge.offset, challenge.offset + challenge.length)) };
    const instant = await createUpload(server.api, user.auth, uploadRequest('/copy.bin', shared, { proof }));
    expect([instant.status, errorCodeOf(instant)]).toEqual([507, 'quota_exceeded']);

    const file = (path: string, bytes: Buffer) => ({ path, contentHash: hashBytes(bytes).contentHash, mtime: 1, contentBase64: bytes.toString('base64') });
    const batch = await jsonRequest(server.api, 'POST', '/uploads/batch', {
      headers: user.auth, body: { files: [file('/b1', randomBytes(150 * KIB)), file('/b2', randomBytes(150 * KIB)), file('/b3', randomBytes(50 * KIB))] },
    });
    const results = batchUploadResponse.parse(batch.body).results;
    expect(results.map((r) => (r.status === 'done' ? 'done' : r.error.code))).toEqual(['done', 'quota_exceeded', 'done']);
    expect((await storage(user))?.usedBytes).toBe(1000 * KIB);
  });
});
