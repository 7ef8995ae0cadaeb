import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchUploadResponse, entryResponse, MAX_BATCH_FILE_BYTES, MAX_BATCH_REQUEST_BYTES, uploadStatusSchema, type UploadStatus } from '../../protocol/api.js';
import { errorBodySchema } from '../../protocol/errors.js';
import { BLOCK_SIZE, possessionProof, sha256Hex } from '../../protocol/contentHash.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { describeEachBlobStore } from '../../test/helpers/blobBackends.js';
import { errorCodeOf, jsonRequest, type JsonResponse } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { chunkOf, createUpload, download, putChunk, putChunks, stateOf, uploadFile, uploadRequest, type ServiceState } from '../../test/helpers/uploads.js';

/** S3 allows no part under 5 MiB but the last, so two blocks. */
const CHUNK = 2 * BLOCK_SIZE;
/** Three chunks of 8, 8 and 2 MiB (+ a few bytes, so the last block is ragged). */
const SIZE = 2 * CHUNK + 2 * 1024 * 1024 + 12345;

describeEachBlobStore('uploads', ({ place }) => {
  describe('chunked upload', () => {
    let server: TestServer;
    let alice: SignedUpUser;
    let bob: SignedUpUser;

    beforeAll(async () => {
      server = await startTestServer((config) => {
        place().configure(config);
        config.chunkSize = CHUNK;
      });
      alice = await signUp(server.api);
      bob = await signUp(server.api);
    });
    afterAll(() => server.close());

    async function startSession(path: string, bytes: Uint8Array, user = alice): Promise<UploadStatus> {
      const { status, created, body } = await createUpload(server.api, user.auth, uploadRequest(path, bytes));
      expect(status, JSON.stringify(body)).toBe(201);
      if (created?.status !== 'upload') throw new Error('expected an upload session');
      return created;
    }

    it('uploads a multi-chunk file, resumes after a status check, and serves the same bytes back', async () => {
      const bytes = randomBytes(SIZE);
      const session = await startSession('/big.bin', bytes);
      expect(session).toMatchObject({ chunkSize: CHUNK, chunkCount: 3, received: [] });

      await putChunks(server.api, alice.auth, session, bytes, [2, 0]);
      const status = await jsonRequest(server.api, 'GET', `/uploads/${session.uploadId}`, { headers: alice.auth });
      expect(uploadStatusSchema.parse(status.body).received).toEqual([0, 2]);

      const early = await jsonRequest(server.api, 'POST', `/uploads/${session.uploadId}/complete`, { headers: alice.auth });
      expect(early.status).toBe(409);
      expect(errorCodeOf(early)).toBe('upload_incomplete');
      expect(early.body).toMatchObject({ error: { details: { received: [0, 2] } } });

      const last = await putChunks(server.api, alice.auth, session, bytes, [1]);
      expect(last.received).toEqual([0, 1, 2]);
      const completed = await jsonRequest(server.api, 'POST', `/uploads/${session.uploadId}/complete`, { headers: alice.auth });
      expect(completed.status).toBe(200);
      const { entry } = entryResponse.parse(completed.body);
      expect(entry).toMatchObject({ path: '/big.bin', kind: 'file', size: SIZE, contentHash: uploadRequest('/big.bin', bytes).contentHash });
      expect(await place().stagingIds(server.config)).toEqual([]);

      const fetched = await download(server.api, alice.auth, '/big.bin');
      expect(fetched.status).toBe(200);
      expect(fetched.bytes.equals(bytes)).toBe(true);
      // The session is over.
      const after = await jsonRequest(server.api, 'GET', `/uploads/${session.uploadId}`, { headers: alice.auth });
      expect(after.status).toBe(404);
    });

    it('refuses a corrupt chunk, changes nothing, and lets a re-PUT of a received chunk neither harm nor count twice', async () => {
      const bytes = randomBytes(SIZE);
      const session = await startSession('/corrupt.bin', bytes);
      await putChunks(server.api, alice.auth, session, bytes, [0]);
      const before = await stateOf(server.config, place());

      const corrupt = Buffer.from(chunkOf(bytes, CHUNK, 1));
      corrupt.writeUInt8(corrupt.readUInt8(1000) ^ 0xff, 1000);
      const refused = await putChunk(server.api, alice.auth, session.uploadId, 1, corrupt);
      expect(refused.status).toBe(400);
      expect(errorCodeOf(refused)).toBe('chunk_hash_mismatch');
      const corruptAgain = Buffer.from(chunkOf(bytes, CHUNK, 0));
      corruptAgain.writeUInt8(corruptAgain.readUInt8(5) ^ 0x01, 5);
      const refusedReceived = await putChunk(server.api, alice.auth, session.uploadId, 0, corruptAgain);
      expect(errorCodeOf(refusedReceived)).toBe('chunk_hash_mismatch');
      expect(await stateOf(server.config, place())).toEqual(before);

      const again = await putChunks(server.api, alice.auth, session, bytes, [0]);
      expect(again.received).toEqual([0]);
      await putChunks(server.api, alice.auth, session, bytes, [1, 2]);
      const completed = await jsonRequest(server.api, 'POST', `/uploads/${session.uploadId}/complete`, { headers: alice.auth });
      expect(completed.status).toBe(200);
      expect((await download(server.api, alice.auth, '/corrupt.bin')).bytes.equals(bytes)).toBe(true);
    });

    it('refuses chunks of the wrong length and indexes out of range', async () => {
      const bytes = randomBytes(SIZE);
      const session = await startSession('/lengths.bin', bytes);
      const short = await putChunk(server.api, alice.auth, session.uploadId, 0, chunkOf(bytes, CHUNK, 0).subarray(1));
      expect(short.status).toBe(400);
      expect(errorCodeOf(short)).toBe('chunk_length_mismatch');
      const longLast = Buffer.concat([chunkOf(bytes, CHUNK, 2), Buffer.from('x')]);
      const long = await putChunk(server.api, alice.auth, session.uploadId, 2, longLast);
      expect(errorCodeOf(long)).toBe('chunk_length_mismatch');
      const outOfRange = await putChunk(server.api, alice.auth, session.uploadId, 3, new Uint8Array(10));
      expect(outOfRange.status).toBe(416);
      expect(errorCodeOf(outOfRange)).toBe('chunk_out_of_range');
      const status = await jsonRequest(server.api, 'GET', `/uploads/${session.uploadId}`, { headers: alice.auth });
      expect(uploadStatusSchema.parse(status.body).received).toEqual([]);
    });

    it('stops reading a streamed chunk that runs past its length', async () => {
      const bytes = randomBytes(SIZE);
      const session = await startSession('/stream.bin', bytes);
      const last = chunkOf(bytes, CHUNK, 2);
      // No Content-Length: the body is streamed, so only the server's count can catch the overrun.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(last);
          controller.enqueue(randomBytes(1024));
          controller.close();
        },
      });
      const response = await fetch(`${server.api}/uploads/${session.uploadId}/chunks/2`, {
        method: 'PUT',
        headers: { ...alice.auth, 'content-type': 'application/octet-stream' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(400);
      expect(errorBodySchema.parse(await response.json()).error.code).toBe('chunk_length_mismatch');
      const status = await jsonRequest(server.api, 'GET', `/uploads/${session.uploadId}`, { headers: alice.auth });
      expect(uploadStatusSchema.parse(status.body).received).toEqual([]);
    });

    it('leaves a chunk unreceived when the client disconnects mid-body, and stays healthy', async () => {
      const bytes = randomBytes(SIZE);
      const session = await startSession('/cut.bin', bytes);
      const chunk = chunkOf(bytes, CHUNK, 0);
      await new Promise<void>((resolve) => {
        const url = new URL(`${server.api}/uploads/${session.uploadId}/chunks/0`);
        const req = httpRequest(url, {
          method: 'PUT',
          headers: { ...alice.auth, 'content-type': 'application/octet-stream', 'content-length': chunk.length },
        });
        req.on('error', () => resolve());
        req.write(chunk.subarray(0, 1024 * 1024), () => setTimeout(() => req.destroy(), 50));
        req.on('close', () => resolve());
      });
      // The server may take a moment to notice; the busy chunk must free up, then take a full PUT.
      let status: UploadStatus | undefined;
      for (let attempt = 0; attempt < 50 && !status; attempt += 1) {
        const response = await putChunk(server.api, alice.auth, session.uploadId, 0, chunk);
        if (response.status === 200) status = uploadStatusSchema.parse(response.body);
        else {
          expect(errorCodeOf(response)).toBe('chunk_busy');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(status?.received).toEqual([0]);
    });

    it('answers chunk_busy to a second PUT of a chunk still being written', async () => {
      const bytes = randomBytes(SIZE);
      const session = await startSession('/busy.bin', bytes);
      const chunk = chunkOf(bytes, CHUNK, 0);
      const url = new URL(`${server.api}/uploads/${session.uploadId}/chunks/0`);
      // Two PUTs of the same chunk, both held open mid-body: whichever the server takes second must be refused.
      const open = [0, 1].map(() => {
        const req = httpRequest(url, {
          method: 'PUT',
          headers: { ...alice.auth, 'content-type': 'application/octet-stream', 'content-length': chunk.length },
        });
        req.on('error', () => {});
        const answer = new Promise<{ req: typeof req; status: number; body: string; connection?: string }>((resolve) => {
          req.on('response', (response) => {
            let body = '';
            response.on('data', (part: Buffer) => (body += part.toString()));
            response.on('end', () => resolve({ req, status: response.statusCode ?? 0, body, connection: response.headers.connection }));
          });
        });
        req.write(chunk.subarray(0, 1000));
        return { req, answer };
      });
      const first = await Promise.race(open.map(({ answer }) => answer));
      expect(first.status).toBe(409);
      expect(JSON.parse(first.body).error.code).toBe('chunk_busy');
      // The refused body is read and discarded, not cut off: a client still sending it sees the 409, not a reset.
      expect(first.connection).not.toBe('close');
      await new Promise<void>((resolve, reject) => {
        first.req.on('error', reject);
        first.req.end(chunk.subarray(1000), resolve);
      });
      const holder = open.find(({ req }) => req !== first.req)!;
      holder.req.end(chunk.subarray(1000));
      expect((await holder.answer).status).toBe(200);
      const again = await putChunk(server.api, alice.auth, session.uploadId, 0, chunk);
      expect(again.status).toBe(200);
    });

    it('hides one user\'s upload from another', async () => {
      const bytes = randomBytes(1000);
      const session = await startSession('/mine.bin', bytes);
      const asBob = bob.auth;
      const get = await jsonRequest(server.api, 'GET', `/uploads/${session.uploadId}`, { headers: asBob });
      const put = await putChunk(server.api, asBob, session.uploadId, 0, bytes);
      const complete = await jsonRequest(server.api, 'POST', `/uploads/${session.uploadId}/complete`, { headers: asBob });
      const remove = await jsonRequest(server.api, 'DELETE', `/uploads/${session.uploadId}`, { headers: asBob });
      for (const response of [get, put, complete, remove]) {
        expect(response.status).toBe(404);
        expect(errorCodeOf(response)).toBe('not_found');
      }
      await putChunks(server.api, alice.auth, session, bytes, [0]);
      const abort = await jsonRequest(server.api, 'DELETE', `/uploads/${session.uploadId}`, { headers: alice.auth });
      expect(abort.status).toBe(204);
      expect(await place().stagingIds(server.config)).not.toContain(session.uploadId);
      expect((await jsonRequest(server.api, 'GET', `/uploads/${session.uploadId}`, { headers: alice.auth })).status).toBe(404);
    });

    it('refuses block digests that do not match the size or the content hash', async () => {
      const bytes = randomBytes(BLOCK_SIZE + 10);
      const request = uploadRequest('/bad.bin', bytes);
      const tooFew = await createUpload(server.api, alice.auth, { ...request, blockHashes: (request.blockHashes as string[]).slice(1) });
      expect(errorCodeOf(tooFew)).toBe('block_hashes_mismatch');
      const wrongHash = await createUpload(server.api, alice.auth, { ...request, contentHash: sha256Hex(bytes) });
      expect(tooFew.status).toBe(400);
      expect(errorCodeOf(wrongHash)).toBe('block_hashes_mismatch');
    });

    it('commits an empty file at once', async () => {
      const { status, created } = await createUpload(server.api, alice.auth, uploadRequest('/empty.txt', new Uint8Array()));
      expect(status).toBe(200);
      expect(created).toMatchObject({ status: 'done', entry: { path: '/empty.txt', size: 0 } });
      const fetched = await download(server.api, alice.auth, '/empty.txt');
      expect(fetched.status).toBe(200);
      expect(fetched.bytes.length).toBe(0);
    });

    it('checks ifRev early and again at complete', async () => {
      const first = await uploadFile(server.api, alice.auth, '/rev.txt', Buffer.from('one'));
      const stale = await createUpload(server.api, alice.auth, uploadRequest('/rev.txt', Buffer.from('two'), { ifRev: 'not-the-rev' }));
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({ error: { code: 'conflict', details: { entry: { rev: first.rev } } } });

      const bytes = randomBytes(5000);
      const session = await startSession('/rev2.txt', bytes);
      const otherBytes = randomBytes(10);
      const raced = await createUpload(server.api, alice.auth, uploadRequest('/rev2.txt', otherBytes, { ifRev: null }));
      expect(raced.status).toBe(201);
      const sessionWithPrecondition = raced.created;
      if (sessionWithPrecondition?.status !== 'upload') throw new Error('expected an upload session');
      // Someone else creates the file first; the session that required "must not exist" then loses.
      await putChunks(server.api, alice.auth, session, bytes, [0]);
      expect((await jsonRequest(server.api, 'POST', `/uploads/${session.uploadId}/complete`, { headers: alice.auth })).status).toBe(200);
      await putChunks(server.api, alice.auth, sessionWithPrecondition, otherBytes, [0]);
      const conflicted = await jsonRequest(server.api, 'POST', `/uploads/${sessionWithPrecondition.uploadId}/complete`, { headers: alice.auth });
      expect(conflicted.status).toBe(409);
      expect(errorCodeOf(conflicted)).toBe('conflict');
      // Precondition failures end the session.
      expect((await jsonRequest(server.api, 'GET', `/uploads/${sessionWithPrecondition.uploadId}`, { headers: alice.auth })).status).toBe(404);
    });
  });

  describe('instant upload', () => {
    let server: TestServer;
    let alice: SignedUpUser;
    let bob: SignedUpUser;

    beforeAll(async () => {
      server = await startTestServer((config) => place().configure(config));
      alice = await signUp(server.api);
      bob = await signUp(server.api);
    });
    afterAll(() => server.close());

    it('commits known content for another user who proves possession, without bytes; refuses wrong and reused proofs', async () => {
      const bytes = randomBytes(3 * 1024 * 1024);
      await uploadFile(server.api, alice.auth, '/shared.bin', bytes);

      const asked = await createUpload(server.api, bob.auth, uploadRequest('/copy.bin', bytes));
      expect(asked.status).toBe(200);
      if (asked.created?.status !== 'challenge') throw new Error('expected a challenge');
      const { challenge } = asked.created;
      expect(challenge.nonce).toMatch(/^[0-9a-f]{32}$/);
      expect(challenge.length).toBeGreaterThan(0);
      expect(challenge.offset + challenge.length).toBeLessThanOrEqual(bytes.length);

      const before = await stateOf(server.config, place());
      const wrong = await createUpload(server.api, bob.auth, uploadRequest('/copy.bin', bytes, {
        proof: { id: challenge.id, value: possessionProof(challenge.nonce, randomBytes(challenge.length)) },
      }));
      expect(wrong.status).toBe(403);
      expect(errorCodeOf(wrong)).toBe('proof_invalid');
      // A wrong answer changes nothing but the challenge it spent and the failure it counts.
      const after = await stateOf(server.config, place());
      expect(after).toEqual(afterWrongProof(before, after, challenge.id));
      expect((await download(server.api, bob.auth, '/copy.bin')).status).toBe(404);

      // A challenge is single use: even the right answer is refused after a wrong one.
      const rightBytes = bytes.subarray(challenge.offset, challenge.offset + challenge.length);
      const reusedAfterWrong = await createUpload(server.api, bob.auth, uploadRequest('/copy.bin', bytes, {
        proof: { id: challenge.id, value: possessionProof(challenge.nonce, rightBytes) },
      }));
      expect(errorCodeOf(reusedAfterWrong)).toBe('proof_invalid');

      const fresh = await createUpload(server.api, bob.auth, uploadRequest('/copy.bin', bytes));
      if (fresh.created?.status !== 'challenge') throw new Error('expected a challenge');
      const c = fresh.created.challenge;
      const proof = { id: c.id, value: possessionProof(c.nonce, bytes.subarray(c.offset, c.offset + c.length)) };
      const done = await createUpload(server.api, bob.auth, uploadRequest('/copy.bin', bytes, { proof }));
      expect(done.status).toBe(200);
      expect(done.created).toMatchObject({ status: 'done', entry: { path: '/copy.bin', size: bytes.length } });
      expect((await download(server.api, bob.auth, '/copy.bin')).bytes.equals(bytes)).toBe(true);

      const reused = await createUpload(server.api, bob.auth, uploadRequest('/copy2.bin', bytes, { proof }));
      expect(errorCodeOf(reused)).toBe('proof_invalid');
      // Alice cannot answer Bob's challenge.
      const other = await createUpload(server.api, bob.auth, uploadRequest('/copy3.bin', bytes));
      if (other.created?.status !== 'challenge') throw new Error('expected a challenge');
      const d = other.created.challenge;
      const stolen = await createUpload(server.api, alice.auth, uploadRequest('/copy3.bin', bytes, {
        proof: { id: d.id, value: possessionProof(d.nonce, bytes.subarray(d.offset, d.offset + d.length)) },
      }));
      expect(errorCodeOf(stolen)).toBe('proof_invalid');
    });
  });

  describe('batch upload', () => {
    let server: TestServer;
    let alice: SignedUpUser;

    beforeAll(async () => {
      server = await startTestServer((config) => place().configure(config));
      alice = await signUp(server.api);
    });
    afterAll(() => server.close());

    it('commits the good files and answers the bad one on its own', async () => {
      const good = [Buffer.from('first'), Buffer.from('second'), randomBytes(100_000)];
      const files = good.map((bytes, i) => ({ ...inline(`/batch/${i}.bin`, bytes) }));
      await jsonRequest(server.api, 'POST', '/files/mkdir', { headers: alice.auth, body: { path: '/batch' } });
      const bad = { ...inline('/batch/bad.bin', Buffer.from('tampered')), contentHash: sha256Hex(Buffer.from('other')) };
      const response = await jsonRequest(server.api, 'POST', '/uploads/batch', { headers: alice.auth, body: { files: [files[0], bad, files[1], files[2]] } });
      expect(response.status).toBe(200);
      const { results } = response.body as { results: { path: string; status: string; error?: { code: string } }[] };
      expect(results.map((r) => [r.path, r.status, r.error?.code])).toEqual([
        ['/batch/0.bin', 'done', undefined],
        ['/batch/bad.bin', 'error', 'content_hash_mismatch'],
        ['/batch/1.bin', 'done', undefined],
        ['/batch/2.bin', 'done', undefined],
      ]);
      for (const [i, bytes] of good.entries()) {
        expect((await download(server.api, alice.auth, `/batch/${i}.bin`)).bytes.equals(bytes)).toBe(true);
      }
      expect((await download(server.api, alice.auth, '/batch/bad.bin')).status).toBe(404);
    });

    it('takes the same batch as raw bytes after a manifest line, answering each file on its own', async () => {
      const good = [Buffer.from('raw first'), Buffer.alloc(0), randomBytes(200_000)];
      const files = good.map((bytes, i) => rawFile(`/raw/${i}.bin`, bytes));
      const bad = rawFile('/raw/bad.bin', Buffer.from('tampered'), sha256Hex(Buffer.from('other')));
      const tooBig = rawFile('/raw/big.bin', randomBytes(MAX_BATCH_FILE_BYTES + 1));
      await jsonRequest(server.api, 'POST', '/files/mkdir', { headers: alice.auth, body: { path: '/raw' } });
      const response = await postBinaryBatch(server.api, alice.auth, [files[0]!, bad, files[1]!, tooBig, files[2]!]);
      expect(response.status).toBe(200);
      const { results } = batchUploadResponse.parse(response.body);
      expect(results.map((r) => [r.path, r.status, r.status === 'error' ? r.error.code : undefined])).toEqual([
        ['/raw/0.bin', 'done', undefined],
        ['/raw/bad.bin', 'error', 'content_hash_mismatch'],
        ['/raw/1.bin', 'done', undefined],
        ['/raw/big.bin', 'error', 'payload_too_large'],
        ['/raw/2.bin', 'done', undefined],
      ]);
      for (const [i, bytes] of good.entries()) {
        expect((await download(server.api, alice.auth, `/raw/${i}.bin`)).bytes.equals(bytes)).toBe(true);
      }
      expect((await download(server.api, alice.auth, '/raw/bad.bin')).status).toBe(404);
    });

    it('refuses a binary batch whose body does not match its manifest, changing nothing', async () => {
      const file = rawFile('/raw/x.bin', randomBytes(1000));
      const manifest = (files: unknown[]) => Buffer.from(`${JSON.stringify({ files })}\n`);
      const { bytes, ...entry } = file;
      const before = await stateOf(server.config, place());
      const cases: [string, Buffer, string][] = [
        ['no line feed after the manifest', Buffer.from(JSON.stringify({ files: [{ ...entry, size: 1000 }] })), 'invalid_request'],
        ['a manifest that is not JSON', Buffer.concat([Buffer.from('{files:\n'), bytes]), 'invalid_request'],
        ['fewer bytes than the sizes say', Buffer.concat([manifest([{ ...entry, size: 1000 }]), bytes.subarray(1)]), 'invalid_request'],
        ['bytes after the last file', Buffer.concat([manifest([{ ...entry, size: 1000 }]), bytes, Buffer.from('x')]), 'invalid_request'],
        ['a hostile path', Buffer.concat([manifest([{ ...entry, path: '/a/../b', size: 1000 }]), bytes]), 'invalid_path'],
        ['no files', manifest([]), 'invalid_request'],
        ['a body over 16 MiB', Buffer.concat([manifest([{ ...entry, size: MAX_BATCH_REQUEST_BYTES }]), Buffer.alloc(MAX_BATCH_REQUEST_BYTES)]), 'payload_too_large'],
      ];
      for (const [what, body, code] of cases) {
        const response = await postRaw(server.api, alice.auth, body);
        expect([what, response.status, errorCodeOf(response)]).toEqual([what, code === 'payload_too_large' ? 413 : 400, code]);
      }
      expect(await stateOf(server.config, place())).toEqual(before);
    });
  });
});

interface RawFile {
  path: string;
  contentHash: string;
  mtime: number;
  bytes: Buffer;
}

function rawFile(path: string, bytes: Buffer, contentHash = (uploadRequest(path, bytes) as { contentHash: string }).contentHash): RawFile {
  return { path, contentHash, mtime: 1_700_000_000_000, bytes };
}

async function postRaw(api: string, auth: Record<string, string>, body: Buffer): Promise<JsonResponse> {
  const response = await fetch(`${api}/uploads/batch/binary`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** `POST /uploads/batch/binary` as the protocol describes it: the manifest line, then each file's bytes. */
function postBinaryBatch(api: string, auth: Record<string, string>, files: readonly RawFile[]): Promise<JsonResponse> {
  const manifest = { files: files.map(({ bytes, ...file }) => ({ ...file, size: bytes.length })) };
  return postRaw(api, auth, Buffer.concat([Buffer.from(`${JSON.stringify(manifest)}\n`), ...files.map((file) => file.bytes)]));
}

function inline(path: string, bytes: Buffer): { path: string; contentHash: string; mtime: number; contentBase64: string } {
  const { contentHash } = uploadRequest(path, bytes) as { contentHash: string };
  return { path, contentHash, mtime: 1_700_000_000_000, contentBase64: bytes.toString('base64') };
}

/** `state` as it is once challenge `id` is spent: a challenge is single use, answered right or wrong. */
/**
 * `before` as a wrong proof of challenge `id` leaves it (as `after` shows):
 * that challenge marked taken, and one failure counted for its user with
 * that content and one for its user; nothing else.
 */
function afterWrongProof(before: ServiceState, after: ServiceState, id: string): ServiceState {
  const parse = (row: string) => JSON.parse(row) as Record<string, unknown>;
  const challengeOf = (state: ServiceState) => (state.rows.upload_challenges ?? []).find((row) => parse(row).id === id);
  const spent = parse(challengeOf(after)!);
  expect(spent.taken_at).not.toBeNull();
  expect({ ...spent, taken_at: null }).toEqual(parse(challengeOf(before)!));
  const { user_id: userId, content_hash: contentHash } = spent as { user_id: string; content_hash: string };
  const counted = (after.rows.throttle_failures ?? []).filter((row) => !(before.rows.throttle_failures ?? []).includes(row)).map(parse);
  expect(counted.map((row) => [row.key, Number(row.count)]).sort()).toEqual([[`proof-pair:${userId}\n${contentHash}`, 1], [`proof-user:${userId}`, 1]]);
  return {
    ...before,
    rows: {
      ...before.rows,
      upload_challenges: (before.rows.upload_challenges ?? []).map((row) => (parse(row).id === id ? challengeOf(after)! : row)),
      throttle_failures: after.rows.throttle_failures ?? [],
    },
  };
}
