import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { CreateUploadRequest, CreateUploadResponse, Entry, UploadStatus } from '../../protocol/api.js';
import { blockCount, contentHashOfBlocks, possessionProof } from '../../protocol/contentHash.js';
import type { BlobStore, ByteSource } from '../blobs/blobStore.js';
import { consumeExactly } from '../blobs/exactLength.js';
import { ApiError } from '../errors.js';
import type { FileStore } from '../files/fileStore.js';
import { BlockVerifier } from './blockVerifier.js';
import type { ProofChallenges } from './challenges.js';
import { chunkBlockHashes, chunkCount, chunkLength, chunkOffset } from './chunkGeometry.js';
import type { ContentPins } from './contentPins.js';
import type { StorageQuota } from './quota.js';
import { PendingChunks } from './pendingChunks.js';
import type { UploadSession, UploadSessionStore } from './sessionStore.js';

export interface UploadsDeps {
  files: FileStore;
  blobs: BlobStore;
  sessions: UploadSessionStore;
  challenges: ProofChallenges;
  pins: ContentPins;
  quota: StorageQuota;
  chunkSize: number;
  uploadTtlSeconds: number;
  /** The most chunks one upload may have (S3 allows 10,000 parts); none when absent. */
  maxChunks?: number;
  now(): number;
}

/** Staging areas are swept this long after any session using them must have expired. */
const STAGING_SWEEP_MARGIN_MS = 60 * 60 * 1000;

/** What `create` answers, with the HTTP status that goes with it. */
export interface Created {
  status: 200 | 201;
  body: CreateUploadResponse;
}

/**
 * Chunked, resumable, instant upload. Bytes are only trusted once checked
 * against the block digests the client declared, and those digests against
 * the content hash, so a completed upload is the content it claims to be.
 */
export class Uploads {
  /** Chunks being written and uploads being completed or aborted: `<uploadId>/<n>`, `<uploadId>/complete`. */
  private readonly busy = new Set<string>();
  private readonly pending: PendingChunks;

  constructor(private readonly deps: UploadsDeps) {
    this.pending = new PendingChunks(deps.blobs, deps.sessions);
  }

  /** `device`: the name of the device session uploading, recorded in the file's version history. */
  async create(userId: string, request: CreateUploadRequest, device: string | null = null): Promise<Created> {
    const { files, blobs } = this.deps;
    if (request.blockHashes.length !== blockCount(request.size) || contentHashOfBlocks(request.blockHashes) !== request.contentHash) {
      throw new ApiError('block_hashes_mismatch', `a ${request.size}-byte file has ${blockCount(request.size)} block digests that hash to its content hash`);
    }
    await this.checkPrecondition(userId, request.path, request.ifRev);
    const commit = { path: request.path, size: request.size, contentHash: request.contentHash, mtime: request.mtime, ifRev: request.ifRev, device };

    if (request.size === 0) {
      const entry = await this.deps.pins.whilePinned(request.contentHash, async () => {
        await blobs.putSmall(request.contentHash, new Uint8Array());
        await files.registerContent(request.contentHash, 0);
        return files.commitFile(userId, commit);
      });
      return { status: 200, body: { status: 'done', entry } };
    }

    const stored = await files.hasContent(request.contentHash);
    if (stored && stored.size !== request.size) {
      throw new ApiError('content_hash_mismatch', 'content with this hash has a different size');
    }
    if (request.proof) {
      const { proof } = request;
      const entry = await this.deps.quota.exclusive(userId, () => this.deps.pins.whilePinned(request.contentHash, async () => {
        await this.deps.quota.checkFits(userId, request.size - await this.replacedBytes(userId, request.path));
        // Asked again under the pin: collection may have deleted the content since the lookup above.
        if (!(await files.hasContent(request.contentHash)) || !(await this.proofHolds(userId, request.contentHash, request.size, proof))) {
          this.deps.challenges.failed(userId, request.contentHash);
          throw new ApiError('proof_invalid', 'the possession proof is wrong, expired or already used; create the upload again');
        }
        this.deps.challenges.succeeded(userId, request.contentHash);
        return files.commitFile(userId, commit);
      }));
      return { status: 200, body: { status: 'done', entry } };
    }
    // Out of challenges (see ProofChallenges), the client uploads the bytes like anyone without a match.
    const challenge = stored ? await this.deps.challenges.issue(userId, request.contentHash, request.size) : undefined;
    if (challenge) {
      const { id, offset, length, nonce } = challenge;
      return { status: 200, body: { status: 'challenge', challenge: { id, offset, length, nonce } } };
    }

    const { maxChunks } = this.deps;
    if (maxChunks !== undefined && chunkCount({ size: request.size, chunkSize: this.deps.chunkSize }) > maxChunks) {
      throw new ApiError('payload_too_large', `files may be at most ${maxChunks * this.deps.chunkSize} bytes here`, { maxSize: maxChunks * this.deps.chunkSize });
    }
    const now = this.deps.now();
    const session: UploadSession = {
      id: randomBytes(18).toString('base64url'),
      userId,
      path: request.path,
      size: request.size,
      contentHash: request.contentHash,
      blockHashes: request.blockHashes,
      mtime: request.mtime,
      ifRev: request.ifRev,
      chunkSize: this.deps.chunkSize,
      createdAt: now,
      expiresAt: now + this.deps.uploadTtlSeconds * 1000,
    };
    // The size is reserved once the session row exists: check and create in one turn of this user.
    await this.deps.quota.exclusive(userId, async () => {
      await this.deps.quota.checkNewSession(userId, session.size, await this.replacedBytes(userId, session.path));
      await blobs.createStaging(session.id, { size: session.size, chunkSize: session.chunkSize, contentHash: session.contentHash });
      try {
        await this.deps.sessions.create(session);
      } catch (error) {
        await blobs.abortStaging(session.id);
        throw error;
      }
    });
    return { status: 201, body: { status: 'upload', ...this.statusOf(session, []) } };
  }

  async status(userId: string, id: string): Promise<UploadStatus> {
    const session = await this.session(userId, id);
    await this.adoptStaged(session);
    return this.statusOf(session, await this.received(id));
  }

  /**
   * Stores chunk `n` from `body`. A chunk already received is only verified,
   * never rewritten, so a repeated PUT cannot damage what was accepted. The
   * bytes become durable (and the chunk marked received) in batches; see
   * PendingChunks.
   * `declaredLength` (Content-Length) lets a wrong length be refused unread.
   */
  async putChunk(userId: string, id: string, n: number, body: ByteSource, declaredLength: number | undefined): Promise<UploadStatus> {
    const session = await this.session(userId, id);
    const count = chunkCount(session);
    if (n >= count) {
      throw new ApiError('chunk_out_of_range', `chunk ${n} does not exist: this upload has chunks 0 to ${count - 1}`, { chunkCount: count });
    }
    const length = chunkLength(session, n);
    if (declaredLength !== undefined && declaredLength !== length) {
      throw new ApiError('chunk_length_mismatch', `chunk ${n} must be ${length} bytes, not ${declaredLength}`, { expected: length });
    }
    const verifier = new BlockVerifier(chunkBlockHashes(session, session.blockHashes, n), n);
    await this.exclusively(`${id}/${n}`, `chunk ${n} is being uploaded by another request`, async () => {
      if ((await this.received(id)).includes(n)) {
        await consumeExactly(body, length, (piece) => verifier.update(piece));
        verifier.finish();
        return false;
      }
      await this.deps.blobs.writeChunk(id, chunkOffset(session, n), length, body, verifier);
      return true;
    }).then(async (wrote) => {
      // Outside the chunk's lock: a flush waits for the disk, and a re-PUT of this chunk need not.
      if (wrote) await this.pending.written(id, n, length);
    });
    return this.statusOf(session, await this.received(id));
  }

  /**
   * Turns the staged bytes into content and commits the entry with the
   * session's precondition. On a conflict the session ends anyway; the stored
   * content stays unreferenced until collection.
   */
  async complete(userId: string, id: string, device: string | null = null): Promise<Entry> {
    const session = await this.session(userId, id);
    return this.exclusively(`${id}/complete`, 'this upload is being completed by another request', async () => {
      await this.pending.flush(id);
      await this.adoptStaged(session);
      const received = await this.deps.sessions.received(id);
      if (received.length < chunkCount(session)) {
        throw new ApiError('upload_incomplete', `${received.length} of ${chunkCount(session)} chunks were received`, { received });
      }
      const { files, blobs } = this.deps;
      const entry = await this.deps.pins.whilePinned(session.contentHash, async () => {
        // Already stored (a retry after a failed commit, or the same bytes uploaded meanwhile): keep that copy.
        if (await blobs.has(session.contentHash)) await blobs.abortStaging(id);
        else await blobs.commitStaging(id, session.contentHash);
        await files.registerContent(session.contentHash, session.size);
        try {
          return await files.commitFile(userId, {
            path: session.path,
            size: session.size,
            contentHash: session.contentHash,
            mtime: session.mtime,
            ifRev: session.ifRev,
            device,
          });
        } catch (error) {
          if (error instanceof ApiError) {
            await this.deps.sessions.delete(id);
            this.pending.forget(id);
          }
          throw error;
        }
      });
      await this.deps.sessions.delete(id);
      this.pending.forget(id);
      return entry;
    });
  }

  async abort(userId: string, id: string): Promise<void> {
    await this.session(userId, id, { allowExpired: true });
    await this.exclusively(`${id}/complete`, 'this upload is being completed', async () => {
      await this.deps.sessions.delete(id);
      this.pending.forget(id);
      await this.deps.blobs.abortStaging(id);
    });
  }

  /** Whether a live upload session will commit `contentHash`: collection keeps that content. */
  willCommit(contentHash: string): Promise<boolean> {
    return this.deps.sessions.anyFor(contentHash, this.deps.now());
  }

  /** Makes every written chunk durable and received; for a clean shutdown. */
  flushPending(): Promise<void> {
    return this.pending.flushAll();
  }

  /** Removes sessions past their expiry, with their staged bytes. */
  async collectExpired(): Promise<number> {
    const ids = await this.deps.sessions.expired(this.deps.now());
    for (const id of ids) {
      await this.deps.sessions.delete(id);
      this.pending.forget(id);
      await this.deps.blobs.abortStaging(id);
    }
    await this.deps.blobs.sweepStaging(
      this.deps.now() - this.deps.uploadTtlSeconds * 1000 - STAGING_SWEEP_MARGIN_MS,
      (uploadId) => this.deps.sessions.exists(uploadId),
    );
    return ids.length;
  }

  /**
   * Records the chunks the store confirms but the session does not list: an
   * S3 part whose upload S3 answered just before the service died. Any part
   * S3 holds was verified as it streamed, so the client need not send it again.
   */
  private async adoptStaged(session: UploadSession): Promise<void> {
    const recorded = await this.received(session.id);
    if (recorded.length === chunkCount(session)) return;
    const staged = await this.deps.blobs.stagedChunks(session.id);
    const missing = (staged ?? []).filter((n) => !recorded.includes(n) && n < chunkCount(session));
    if (missing.length > 0) await this.deps.sessions.markReceived(session.id, missing);
  }

  private async checkPrecondition(userId: string, path: string, ifRev: string | null | undefined): Promise<void> {
    if (ifRev === undefined) return;
    const current = await this.deps.files.getEntry(userId, path);
    if ((current?.rev ?? null) === ifRev) return;
    throw new ApiError('conflict', current ? `${path} is at rev ${current.rev}` : `${path} does not exist`, { entry: current });
  }

  /** Bytes a commit at `path` frees by replacing the file there (see StorageQuota.freedByReplacing). */
  private async replacedBytes(userId: string, path: string): Promise<number> {
    return this.deps.quota.freedByReplacing(await this.deps.files.getEntry(userId, path));
  }

  private async proofHolds(userId: string, contentHash: string, size: number, proof: { id: string; value: string }): Promise<boolean> {
    const challenge = await this.deps.challenges.take(userId, proof.id);
    if (!challenge || challenge.contentHash !== contentHash || challenge.size !== size) return false;
    const range = await readAll(await this.deps.blobs.read(contentHash, {
      start: challenge.offset,
      end: challenge.offset + challenge.length - 1,
    }));
    const expected = Buffer.from(possessionProof(challenge.nonce, range), 'hex');
    return timingSafeEqual(expected, Buffer.from(proof.value, 'hex'));
  }

  private async session(userId: string, id: string, options: { allowExpired?: boolean } = {}): Promise<UploadSession> {
    const session = await this.deps.sessions.get(userId, id);
    if (!session) throw this.notFound();
    if (!options.allowExpired && session.expiresAt <= this.deps.now()) {
      throw new ApiError('upload_expired', 'this upload expired; create it again');
    }
    return session;
  }

  /** Chunks durably received plus those written and waiting for a flush, ascending. */
  private async received(id: string): Promise<number[]> {
    // A Set: a chunk being marked by a flush may briefly be in both lists.
    return [...new Set([...await this.deps.sessions.received(id), ...this.pending.list(id)])].sort((a, b) => a - b);
  }

  private notFound(): ApiError {
    return new ApiError('not_found', 'no such upload');
  }

  private async exclusively<T>(key: string, busyMessage: string, work: () => Promise<T>): Promise<T> {
    if (this.busy.has(key)) throw new ApiError('chunk_busy', busyMessage);
    this.busy.add(key);
    try {
      return await work();
    } finally {
      this.busy.delete(key);
    }
  }

  private statusOf(session: UploadSession, received: number[]): UploadStatus {
    return { uploadId: session.id, chunkSize: session.chunkSize, chunkCount: chunkCount(session), received };
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}
