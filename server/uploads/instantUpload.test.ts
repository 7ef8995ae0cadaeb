import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROOF_RANGE_BYTES, type CreateUploadResponse } from '../../protocol/api.js';
import { possessionProof } from '../../protocol/contentHash.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { errorCodeOf } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { buildApp } from '../app.js';
import { createUpload, uploadFile, uploadRequest } from '../../test/helpers/uploads.js';

type Challenge = Extract<CreateUploadResponse, { status: 'challenge' }>['challenge'];

describe('instant-upload possession proofs hold against guessing', () => {
  let now = Date.now();
  let server: TestServer;
  let owner: SignedUpUser;
  beforeAll(async () => {
    server = await startTestServer(() => {}, { now: () => now });
    owner = await signUp(server.api);
  });
  afterAll(() => server.close());

  /** Stores `bytes` as the owner's, so that anyone else's upload of them is offered instant upload. */
  async function stored(bytes: Uint8Array): Promise<Uint8Array> {
    await uploadFile(server.api, owner.auth, `/${randomBytes(6).toString('hex')}`, bytes);
    return bytes;
  }

  async function ask(user: SignedUpUser, bytes: Uint8Array): Promise<CreateUploadResponse> {
    const { created, status, body } = await createUpload(server.api, user.auth, uploadRequest(`/${randomBytes(6).toString('hex')}`, bytes));
    if (!created) throw new Error(`create answered ${status}: ${JSON.stringify(body)}`);
    return created;
  }

  async function challengeFor(user: SignedUpUser, bytes: Uint8Array): Promise<Challenge> {
    const created = await ask(user, bytes);
    if (created.status !== 'challenge') throw new Error(`expected a challenge, got ${created.status}`);
    return created.challenge;
  }

  const answer = (user: SignedUpUser, bytes: Uint8Array, challenge: Challenge, value = possessionProof(challenge.nonce, bytes.subarray(challenge.offset, challenge.offset + challenge.length))) =>
    createUpload(server.api, user.auth, uploadRequest(`/${randomBytes(6).toString('hex')}`, bytes, { proof: { id: challenge.id, value } }));

  it.each([8, 100 * 1024, 3 * 1024 * 1024])('a %d-byte file is challenged whole: no byte of it can be guessed alone', async (size) => {
    const bytes = await stored(randomBytes(size));
    const guesser = await signUp(server.api);
    const challenge = await challengeFor(guesser, bytes);
    expect([challenge.offset, challenge.length]).toEqual([0, size]);
  });

  it('a file over 4 MiB is challenged on a random 1 MiB range', async () => {
    const bytes = await stored(randomBytes(5 * 1024 * 1024));
    const challenge = await challengeFor(await signUp(server.api), bytes);
    expect(challenge.length).toBe(PROOF_RANGE_BYTES);
    expect(challenge.offset + challenge.length).toBeLessThanOrEqual(bytes.length);
  });

  it('after three wrong proofs, a guesser gets no more challenges for that content: only an upload session', async () => {
    const secret = await stored(Buffer.from('12345678'));
    const guesser = await signUp(server.api);
    for (let i = 0; i < 3; i++) {
      const challenge = await challengeFor(guesser, secret);
      const wrong = await answer(guesser, secret, challenge, possessionProof(challenge.nonce, Buffer.from(String(87654321 + i))));
      expect(errorCodeOf(wrong)).toBe('proof_invalid');
    }
    const next = await ask(guesser, secret);
    expect(next.status).toBe('upload');
    // The pause grows with each failure; after it, one more try is allowed, and an honest one succeeds.
    now += 60_000;
    const honest = await answer(guesser, secret, await challengeFor(guesser, secret));
    expect(honest.created?.status).toBe('done');
  });

  it('challenges are rationed per content across users (30 a minute), then per window again', async () => {
    const bytes = await stored(randomBytes(64));
    const [first, second] = await Promise.all([signUp(server.api), signUp(server.api)]);
    for (let i = 0; i < 30; i++) await challengeFor(i % 2 ? first : second, bytes);
    expect((await ask(first, bytes)).status).toBe('upload');
    expect((await ask(second, bytes)).status).toBe('upload');
    // Other content is not affected.
    await challengeFor(first, await stored(randomBytes(64)));
    now += 60_001;
    await challengeFor(second, bytes);
  });

  it('challenges are rationed per user (60 a minute) across contents', async () => {
    const user = await signUp(server.api);
    const contents = await Promise.all(Array.from({ length: 3 }, () => stored(randomBytes(32))));
    for (let i = 0; i < 60; i++) await challengeFor(user, contents[i % 3]!);
    expect((await ask(user, contents[0]!)).status).toBe('upload');
    expect((await ask(await signUp(server.api), contents[1]!)).status).toBe('challenge');
  });

  it('a challenge answered after its lifetime (5 minutes) is refused, even with the right proof', async () => {
    const bytes = await stored(randomBytes(1000));
    const user = await signUp(server.api);
    const challenge = await challengeFor(user, bytes);
    now += 5 * 60 * 1000 + 1;
    const late = await answer(user, bytes, challenge);
    expect([late.status, errorCodeOf(late)]).toEqual([403, 'proof_invalid']);
    // A fresh challenge, answered in time, works.
    expect((await answer(user, bytes, await challengeFor(user, bytes))).created?.status).toBe('done');
  });
});

describe('a possession challenge is kept in the database', () => {
  it('is answered on a second service process on the same database and data folder (on PostgreSQL: another node), once', async () => {
    const server = await startTestServer();
    const second = await buildApp(server.config, { logger: false });
    try {
      await second.listen({ host: '127.0.0.1', port: 0 });
      const secondApi = `http://127.0.0.1:${(second.server.address() as AddressInfo).port}/api/v1`;
      const owner = await signUp(server.api);
      const bytes = randomBytes(5000);
      await uploadFile(server.api, owner.auth, '/original.bin', bytes);
      const other = await signUp(server.api);
      const asked = await createUpload(server.api, other.auth, uploadRequest('/copy.bin', bytes));
      if (asked.created?.status !== 'challenge') throw new Error('expected a challenge');
      const { challenge } = asked.created;
      const proof = { id: challenge.id, value: possessionProof(challenge.nonce, bytes.subarray(challenge.offset, challenge.offset + challenge.length)) };
      const answered = await createUpload(secondApi, other.auth, uploadRequest('/copy.bin', bytes, { proof }));
      expect(answered.created?.status).toBe('done');
      // Single use, whichever process is asked.
      const replayed = await createUpload(server.api, other.auth, uploadRequest('/copy2.bin', bytes, { proof }));
      expect(replayed.created?.status).not.toBe('done');
    } finally {
      await second.close();
      await server.close();
    }
  });
});
