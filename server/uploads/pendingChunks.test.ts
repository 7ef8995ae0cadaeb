import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../protocol/contentHash.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { testDatabase } from '../../test/helpers/testDatabase.js';
import { startSecondNode, startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { chunkOf, createUpload, download, putChunk, putChunks, uploadRequest } from '../../test/helpers/uploads.js';
import { entryResponse, uploadStatusSchema, type UploadStatus } from '../../protocol/api.js';
import { LocalBlobStore } from '../blobs/localBlobStore.js';
import { PendingChunks } from './pendingChunks.js';
import { openServerMetadata, queryServerDb } from '../../test/helpers/serverDb.js';
import type { Metadata } from '../metadata.js';
import type { UploadSessionStore } from './sessionStore.js';

describe('chunks made durable in batches', () => {
  let server: TestServer;
  let alice: SignedUpUser;
  /** A second handle on the service's database: what a restarted service would read. */
  let metadata: Metadata;
  let afterRestart: UploadSessionStore;

  beforeAll(async () => {
    server = await startTestServer((config) => {
      config.chunkSize = BLOCK_SIZE;
    });
    alice = await signUp(server.api);
    metadata = await openServerMetadata(server);
    afterRestart = metadata.uploadSessions;
  });
  afterAll(async () => {
    await metadata.close();
    await server.close();
  });

  async function session(path: string, bytes: Uint8Array): Promise<UploadStatus> {
    const { created } = await createUpload(server.api, alice.auth, uploadRequest(path, bytes));
    if (created?.status !== 'upload') throw new Error('expected an upload session');
    return created;
  }

  it('lists a written chunk at once, but records it received only once flushed (at complete)', async () => {
    const bytes = randomBytes(2 * BLOCK_SIZE + 100);
    const started = await session('/two.bin', bytes);
    expect((await putChunks(server.api, alice.auth, started, bytes, [1])).received).toEqual([1]);
    const status = await jsonRequest(server.api, 'GET', `/uploads/${started.uploadId}`, { headers: alice.auth });
    expect(uploadStatusSchema.parse(status.body).received).toEqual([1]);
    // Not yet durable: a service restarted now would not list it, and the client would send it again.
    expect(await afterRestart.received(started.uploadId)).toEqual([]);

    await putChunks(server.api, alice.auth, started, bytes, [0, 2]);
    const completed = await jsonRequest(server.api, 'POST', `/uploads/${started.uploadId}/complete`, { headers: alice.auth });
    expect(completed.status).toBe(200);
    expect(entryResponse.parse(completed.body).entry.size).toBe(bytes.length);
  });

  it('flushes a batch behind the chunks once enough bytes wait, and holds a chunk once twice that wait', async () => {
    const bytes = randomBytes(3 * BLOCK_SIZE);
    const started = await session('/three.bin', bytes);
    const pending = new PendingChunks(new LocalBlobStore(server.config.dataDir), afterRestart, BLOCK_SIZE);
    // Starts a flush without waiting for it.
    await pending.written(started.uploadId, 0, BLOCK_SIZE);
    // That flush is still on the disk (it cannot finish within microtasks): two blocks wait, so this waits until both are durable.
    await pending.written(started.uploadId, 2, BLOCK_SIZE);
    expect(await afterRestart.received(started.uploadId)).toEqual([0, 2]);
    expect(await pending.list(started.uploadId)).toEqual([]);
    await pending.written(started.uploadId, 1, BLOCK_SIZE);
    await pending.flush(started.uploadId);
    expect(await afterRestart.received(started.uploadId)).toEqual([0, 1, 2]);
  });
});

/** Two service processes on one PostgreSQL database and one data folder: one SQLite database has one process. */
describe.skipIf(testDatabase === 'sqlite')('chunks of one upload on two nodes sharing a local data folder', () => {
  let server: TestServer;
  let second: { api: string; close(): Promise<void> };
  let alice: SignedUpUser;

  beforeAll(async () => {
    server = await startTestServer((config) => {
      config.chunkSize = BLOCK_SIZE;
    });
    second = await startSecondNode(server);
    alice = await signUp(server.api);
  });
  afterAll(async () => {
    await second.close();
    await server.close();
  });

  const statusOn = async (api: string, id: string) =>
    uploadStatusSchema.parse((await jsonRequest(api, 'GET', `/uploads/${id}`, { headers: alice.auth })).body).received;

  it('lists on either node the chunks written on both, and completes on either', async () => {
    for (const [name, completeOn] of [['a', () => server.api], ['b', () => second.api]] as const) {
      const bytes = randomBytes(3 * BLOCK_SIZE + 10);
      const { created } = await createUpload(server.api, alice.auth, uploadRequest(`/split-${name}.bin`, bytes));
      if (created?.status !== 'upload') throw new Error('expected an upload session');
      for (const [n, api] of [[0, second.api], [1, server.api], [2, second.api], [3, server.api]] as const) {
        expect((await putChunk(api, alice.auth, created.uploadId, n, chunkOf(bytes, created.chunkSize, n))).status).toBe(200);
      }
      expect(await statusOn(server.api, created.uploadId)).toEqual([0, 1, 2, 3]);
      expect(await statusOn(second.api, created.uploadId)).toEqual([0, 1, 2, 3]);
      const completed = await jsonRequest(completeOn(), 'POST', `/uploads/${created.uploadId}/complete`, { headers: alice.auth });
      expect(completed.status).toBe(200);
      expect((await download(second.api, alice.auth, `/split-${name}.bin`)).bytes.equals(bytes)).toBe(true);
    }
  });

  it('reads back at complete a chunk a vanished node left undurable: kept if intact, dropped and sent again if lost', async () => {
    const bytes = randomBytes(3 * BLOCK_SIZE);
    const { created } = await createUpload(server.api, alice.auth, uploadRequest('/after-a-crash.bin', bytes));
    if (created?.status !== 'upload') throw new Error('expected an upload session');
    const { uploadId } = created;
    // Chunk 0 reached the staging file; chunk 1's bytes never did (its node's machine went down before a flush).
    const staging = await open(join(server.config.dataDir, 'staging', uploadId), 'r+');
    await staging.write(chunkOf(bytes, BLOCK_SIZE, 0), 0, BLOCK_SIZE, 0);
    await staging.close();
    for (const n of [0, 1]) await queryServerDb(server, 'INSERT INTO upload_chunks (upload_id, n, written_by) VALUES (?, ?, ?)', [uploadId, n, 'a-node-that-died']);
    await putChunk(second.api, alice.auth, uploadId, 2, chunkOf(bytes, BLOCK_SIZE, 2));
    expect(await statusOn(server.api, uploadId)).toEqual([0, 1, 2]);

    const refused = await jsonRequest(server.api, 'POST', `/uploads/${uploadId}/complete`, { headers: alice.auth });
    expect(refused.status).toBe(409);
    expect(errorCodeOf(refused)).toBe('upload_incomplete');
    expect(await statusOn(second.api, uploadId)).toEqual([0, 2]);
    await putChunk(second.api, alice.auth, uploadId, 1, chunkOf(bytes, BLOCK_SIZE, 1));
    expect((await jsonRequest(server.api, 'POST', `/uploads/${uploadId}/complete`, { headers: alice.auth })).status).toBe(200);
    expect((await download(server.api, alice.auth, '/after-a-crash.bin')).bytes.equals(bytes)).toBe(true);
  });
});
