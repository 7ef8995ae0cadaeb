import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { createUpload, download, putChunks, uploadFile, uploadRequest } from '../../test/helpers/uploads.js';
import { possessionProof } from '../../protocol/contentHash.js';
import { LocalBlobStore } from '../blobs/localBlobStore.js';
import { SqliteFileStore } from '../files/sqliteFileStore.js';
import { ProofChallenges } from './challenges.js';
import { StorageQuota } from './quota.js';
import { ContentPins } from './contentPins.js';
import { CONTENT_GRACE_MS, collectGarbage, type GarbageDeps } from './garbage.js';
import { SqliteUploadSessionStore } from './sessionStore.js';
import { Uploads } from './uploads.js';

describe('garbage collection', () => {
  let clock = Date.now();
  const now = (): number => clock;
  let server: TestServer;
  let alice: SignedUpUser;
  let bob: SignedUpUser;
  let db: Database.Database;
  let deps: GarbageDeps;

  beforeAll(async () => {
    server = await startTestServer(() => {}, { now });
    alice = await signUp(server.api);
    bob = await signUp(server.api);
    // A second connection to the same database and blob folder, as a maintenance process would have.
    db = new Database(join(server.config.dataDir, 'netdisk.sqlite'));
    const files = new SqliteFileStore(db, { now });
    const blobs = new LocalBlobStore(server.config.dataDir);
    const pins = new ContentPins();
    const challenges = new ProofChallenges(now);
    const sessions = new SqliteUploadSessionStore(db);
    const uploads = new Uploads({
      files, blobs, sessions, challenges, pins, quota: new StorageQuota(files, sessions, server.config.limits, now),
      chunkSize: server.config.chunkSize, uploadTtlSeconds: server.config.uploadTtlSeconds, now,
    });
    deps = { uploads, files, blobs, pins, challenges, now };
  });
  afterAll(async () => {
    db.close();
    await server.close();
  });

  const blobPath = (hash: string): string => join(server.config.dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash);

  it('removes expired upload sessions with their staged bytes', async () => {
    const bytes = randomBytes(3000);
    const { created } = await createUpload(server.api, alice.auth, uploadRequest('/slow.bin', bytes));
    if (created?.status !== 'upload') throw new Error('expected an upload session');
    await putChunks(server.api, alice.auth, created, bytes, [0]);
    expect(await collectGarbage(deps)).toEqual({ sessions: 0, blobs: 0 });
    expect(readdirSync(join(server.config.dataDir, 'staging'))).toContain(created.uploadId);

    clock += server.config.uploadTtlSeconds * 1000 + 1;
    const expired = await jsonRequest(server.api, 'POST', `/uploads/${created.uploadId}/complete`, { headers: alice.auth });
    expect(expired.status).toBe(410);
    expect(errorCodeOf(expired)).toBe('upload_expired');
    expect(await collectGarbage(deps)).toEqual({ sessions: 1, blobs: 0 });
    expect(readdirSync(join(server.config.dataDir, 'staging'))).not.toContain(created.uploadId);
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
    expect(existsSync(blobPath(hash))).toBe(true);

    // Purging the trash drops the last references; the grace period then runs from that moment.
    await deps.files.purgeTrash(clock + 1);
    await collectGarbage(deps);
    expect(existsSync(blobPath(hash))).toBe(true);
    clock += CONTENT_GRACE_MS + 1;
    expect((await collectGarbage(deps)).blobs).toBe(1);
    expect(existsSync(blobPath(hash))).toBe(false);
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
      expect(existsSync(blobPath(hash))).toBe(true);
    });
    // Touched during the pass that just ran, but not during the next one.
    expect((await collectGarbage(deps)).blobs).toBe(1);
  });
});
