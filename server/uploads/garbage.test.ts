import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { describeEachBlobStore } from '../../test/helpers/blobBackends.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { createUpload, download, putChunks, uploadFile, uploadRequest } from '../../test/helpers/uploads.js';
import { possessionProof } from '../../protocol/contentHash.js';
import { openServerMetadata, queryServerDb } from '../../test/helpers/serverDb.js';
import type { Metadata } from '../metadata.js';
import { ProofChallenges } from './challenges.js';
import { StorageQuota } from './quota.js';
import { ContentPins } from './contentPins.js';
import { CONTENT_GRACE_MS, collectGarbage, type GarbageDeps } from './garbage.js';
import { Uploads } from './uploads.js';

describeEachBlobStore('garbage collection', ({ place }) => {
  let clock = Date.now();
  const now = (): number => clock;
  let server: TestServer;
  let alice: SignedUpUser;
  let bob: SignedUpUser;
  let metadata: Metadata;
  let deps: GarbageDeps;

  beforeAll(async () => {
    server = await startTestServer((config) => place().configure(config), { now });
    alice = await signUp(server.api);
    bob = await signUp(server.api);
    // A second connection to the same database and content store, as a maintenance process would have.
    metadata = await openServerMetadata(server, now);
    const { files } = metadata;
    const blobs = place().store(server.config);
    const pins = new ContentPins();
    const challenges = new ProofChallenges(metadata.challenges, now);
    const sessions = metadata.uploadSessions;
    const uploads = new Uploads({
      files, blobs, sessions, challenges, pins, quota: new StorageQuota(files, sessions, server.config.limits, now),
      chunkSize: server.config.chunkSize, uploadTtlSeconds: server.config.uploadTtlSeconds, now,
    });
    deps = { uploads, files, blobs, pins, challenges, now };
  });
  afterAll(async () => {
    await metadata.close();
    await server.close();
  });

  it('removes expired upload sessions with their staged bytes', async () => {
    const bytes = randomBytes(3000);
    const { created } = await createUpload(server.api, alice.auth, uploadRequest('/slow.bin', bytes));
    if (created?.status !== 'upload') throw new Error('expected an upload session');
    await putChunks(server.api, alice.auth, created, bytes, [0]);
    expect(await collectGarbage(deps)).toEqual({ sessions: 0, blobs: 0 });
    expect(await place().stagingIds(server.config)).toContain(created.uploadId);

    clock += server.config.uploadTtlSeconds * 1000 + 1;
    const expired = await jsonRequest(server.api, 'POST', `/uploads/${created.uploadId}/complete`, { headers: alice.auth });
    expect(expired.status).toBe(410);
    expect(errorCodeOf(expired)).toBe('upload_expired');
    expect(await collectGarbage(deps)).toEqual({ sessions: 1, blobs: 0 });
    expect(await place().stagingIds(server.config)).not.toContain(created.uploadId);
    expect((await jsonRequest(server.api, 'GET', `/uploads/${created.uploadId}`, { headers: alice.auth })).status).toBe(404);
  });

  it('deletes content only once no entry, live or trashed, refers to it, and after the grace period', async () => {
    const bytes = randomBytes(200_000);
    const entry = await uploadFile(server.api, alice.auth, '/keep.bin', bytes);
    const hash = entry.contentHash!;
    // Bob gets the same content by instant upload: two references.
    const asked = await createUpload(server.api, bob.auth, uploadRequest('/keep.bin', bytes));
    if (asked.created?.status !== 'challenge') throw new Error('expected a challenge');
    const c = asked.created.challenge;
    const proof = { id: c.id, value: possessionProof(c.nonce, bytes.subarray(c.offset, c.offset + c.length)) };
    expect((await createUpload(server.api, bob.auth, uploadRequest('/keep.bin', bytes, { proof }))).status).toBe(200);

    for (const user of [alice, bob]) {
      expect((await jsonRequest(server.api, 'POST', '/files/delete', { headers: user.auth, body: { path: '/keep.bin' } })).status).toBe(200);
    }
    clock += CONTENT_GRACE_MS * 2;
    await collectGarbage(deps);
    expect(await deps.blobs.has(hash)).toBe(true);

    // Purging the trash drops the last references; the grace period then runs from that moment.
    await deps.files.purgeTrash(clock + 1);
    await collectGarbage(deps);
    expect(await deps.blobs.has(hash)).toBe(true);
    clock += CONTENT_GRACE_MS + 1;
    expect((await collectGarbage(deps)).blobs).toBe(1);
    expect(await deps.blobs.has(hash)).toBe(false);
    expect(await deps.files.hasContent(hash)).toBeNull();
    expect((await download(server.api, alice.auth, '/keep.bin')).status).toBe(404);
  });

  it('spares content that a commit has pinned', async () => {
    const bytes = randomBytes(1000);
    const entry = await uploadFile(server.api, alice.auth, '/pinned.bin', bytes);
    await jsonRequest(server.api, 'POST', '/files/delete', { headers: alice.auth, body: { path: '/pinned.bin' } });
    await deps.files.purgeTrash(clock + 1);
    clock += CONTENT_GRACE_MS + 1;
    const hash = entry.contentHash!;
    await deps.pins.whilePinned(hash, async () => {
      await collectGarbage(deps);
      expect(await deps.blobs.has(hash)).toBe(true);
    });
    // Touched during the pass that just ran, but not during the next one.
    expect((await collectGarbage(deps)).blobs).toBe(1);
  });

  it('keeps content that a live upload session will commit, until that session is gone', async () => {
    const bytes = randomBytes(2000);
    const entry = await uploadFile(server.api, alice.auth, '/again.bin', bytes);
    const hash = entry.contentHash!;
    await jsonRequest(server.api, 'POST', '/files/delete', { headers: alice.auth, body: { path: '/again.bin' } });
    await deps.files.purgeTrash(clock + 1);
    clock += CONTENT_GRACE_MS + 1;
    // Bob uploads the same bytes, not knowing the service has them: his session names that content.
    await deps.files.forgetContent(hash);
    const { created } = await createUpload(server.api, bob.auth, uploadRequest('/again.bin', bytes));
    if (created?.status !== 'upload') throw new Error('expected an upload session');
    await deps.files.registerContent(hash, bytes.length);
    clock += CONTENT_GRACE_MS + 1;
    expect((await collectGarbage(deps)).blobs).toBe(0);
    expect(await deps.blobs.has(hash)).toBe(true);
    await putChunks(server.api, bob.auth, created, bytes, [0]);
    expect((await jsonRequest(server.api, 'POST', `/uploads/${created.uploadId}/complete`, { headers: bob.auth })).status).toBe(200);
    expect((await download(server.api, bob.auth, '/again.bin')).bytes.equals(bytes)).toBe(true);
  });

  it('drops staging areas no session owns once they are older than any session could be', async () => {
    const orphan = 'orphan-staging-area';
    await deps.blobs.createStaging(orphan, { size: 10, chunkSize: server.config.chunkSize, contentHash: '1'.repeat(64) });
    const bytes = randomBytes(3000);
    const { created } = await createUpload(server.api, alice.auth, uploadRequest('/live.bin', bytes));
    if (created?.status !== 'upload') throw new Error('expected an upload session');
    // The sweep compares with the store's own clock (file mtime, S3's Initiated): a pass at the real time keeps both.
    const sessions = metadata.uploadSessions;
    const passAt = (at: number): GarbageDeps => ({ ...deps, now: () => at, uploads: new Uploads({
      files: deps.files, blobs: deps.blobs, sessions, challenges: deps.challenges, pins: deps.pins,
      quota: new StorageQuota(deps.files, sessions, server.config.limits, () => at),
      chunkSize: server.config.chunkSize, uploadTtlSeconds: server.config.uploadTtlSeconds, now: () => at,
    }) });
    await collectGarbage(passAt(Date.now()));
    expect(await place().stagingIds(server.config)).toEqual(expect.arrayContaining([orphan, created.uploadId]));
    // Long after: the orphan goes; the session (kept alive here, as a sweep must never judge by age alone) keeps its area.
    const later = Date.now() + (server.config.uploadTtlSeconds + 2 * 3600) * 1000;
    await queryServerDb(server, 'UPDATE upload_sessions SET expires_at = ? WHERE id = ?', [Math.max(later, clock) + 3_600_000, created.uploadId]);
    await collectGarbage(passAt(later));
    const left = await place().stagingIds(server.config);
    expect(left).not.toContain(orphan);
    expect(left).toContain(created.uploadId);
    await putChunks(server.api, alice.auth, created, bytes, [0]);
    expect((await jsonRequest(server.api, 'POST', `/uploads/${created.uploadId}/complete`, { headers: alice.auth })).status).toBe(200);
  });
});
