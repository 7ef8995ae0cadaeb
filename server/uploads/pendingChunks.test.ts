import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../protocol/contentHash.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { jsonRequest } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { createUpload, putChunks, uploadRequest } from '../../test/helpers/uploads.js';
import { entryResponse, uploadStatusSchema, type UploadStatus } from '../../protocol/api.js';
import { LocalBlobStore } from '../blobs/localBlobStore.js';
import { PendingChunks } from './pendingChunks.js';
import { openServerMetadata } from '../../test/helpers/serverDb.js';
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
    expect(pending.list(started.uploadId)).toEqual([]);
    await pending.written(started.uploadId, 1, BLOCK_SIZE);
    await pending.flush(started.uploadId);
    expect(await afterRestart.received(started.uploadId)).toEqual([0, 1, 2]);
  });
});
