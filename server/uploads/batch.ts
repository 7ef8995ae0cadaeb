import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { batchResultSchema, batchUploadRequest, batchUploadResponse, MAX_BATCH_FILE_BYTES, MAX_BATCH_REQUEST_BYTES } from '../../protocol/api.js';
import { hashBytes } from '../../protocol/contentHash.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { ServerContext } from '../context.js';
import { defineRoute } from '../http/routes.js';
import type { FileCommit } from '../files/fileStore.js';
import type { ContentPins } from './contentPins.js';
import { readBinaryBatch, type BinaryBatch } from './batchBody.js';

type BatchResult = z.infer<typeof batchResultSchema>;

/** One file of a batch as it arrived, decoded from either body format. */
interface IncomingFile {
  path: string;
  contentHash: string;
  mtime: number;
  ifRev?: string | null | undefined;
  bytes: Buffer;
}

/**
 * `POST /uploads/batch` (JSON, base64 content) and `POST /uploads/batch/binary`
 * (a manifest line, then the raw bytes; protocol/api.ts): small files inline,
 * each checked against its content hash and stored (all durable together),
 * then registered and committed in one transaction. One bad file is answered
 * on its own and does not stop the others.
 */
export function registerBatchRoute(app: FastifyInstance, ctx: ServerContext, blobs: BlobStore, pins: ContentPins): void {
  defineRoute(app, ctx, {
    method: 'POST',
    url: '/uploads/batch',
    summary: 'Upload many small files inline and commit them together',
    auth: true,
    body: batchUploadRequest,
    bodyLimit: MAX_BATCH_REQUEST_BYTES,
    responses: { 200: batchUploadResponse },
  }, async ({ userId, sessionId, body }) => {
    const files = body.files.map(({ contentBase64, ...file }) => ({ ...file, bytes: Buffer.from(contentBase64, 'base64') }));
    return { results: await commitBatch(ctx, blobs, pins, userId, sessionId, files) };
  });

  defineRoute(app, ctx, {
    method: 'POST',
    url: '/uploads/batch/binary',
    summary: 'The batch upload with raw bytes: a JSON manifest line, a line feed, then each file\'s bytes in order',
    auth: true,
    rawBody: true,
    responses: { 200: batchUploadResponse },
  }, async ({ userId, sessionId, request, reply }) => {
    const header = request.headers['content-length'];
    let batch: BinaryBatch;
    try {
      batch = await readBinaryBatch(request.raw, header === undefined ? undefined : Number(header));
    } catch (error) {
      // Whatever the client still has to send is not wanted: close instead of reading it.
      if (!request.raw.complete) reply.header('connection', 'close');
      throw error;
    }
    const files = batch.manifest.files.map(({ size: _size, ...file }, i) => ({ ...file, bytes: batch.contents[i]! }));
    return { results: await commitBatch(ctx, blobs, pins, userId, sessionId, files) };
  });
}

async function commitBatch(
  ctx: ServerContext, blobs: BlobStore, pins: ContentPins, userId: string, sessionId: string, files: readonly IncomingFile[],
): Promise<BatchResult[]> {
  const device = await ctx.refreshTokens.deviceName(userId, sessionId);
  const results: (BatchResult | undefined)[] = [];
  const accepted: AcceptedFile[] = [];
  files.forEach((file, index) => {
    const { bytes } = file;
    const refusal = bytes.length > MAX_BATCH_FILE_BYTES
      ? { code: 'payload_too_large', message: `inline files may be at most ${MAX_BATCH_FILE_BYTES} bytes` }
      : hashBytes(bytes).contentHash !== file.contentHash
        ? { code: 'content_hash_mismatch', message: 'the bytes do not hash to the declared content hash' }
        : undefined;
    if (refusal) {
      results[index] = { path: file.path, status: 'error', error: refusal };
      return;
    }
    const commit: FileCommit = { path: file.path, size: bytes.length, contentHash: file.contentHash, mtime: file.mtime, ifRev: file.ifRev, device };
    accepted.push({ index, commit, bytes });
  });

  const { committed, fitting } = await ctx.storage.exclusive(userId, async () => {
    const fitting = await withinQuota(ctx, userId, accepted, (index, path, refusal) => {
      results[index] = { path, status: 'error', error: refusal };
    });
    const hashes = [...new Set(fitting.map(({ commit }) => commit.contentHash))];
    const committed = await pins.whilePinned(hashes, async () => {
      if (fitting.length === 0) return [];
      // Content first, durably; only then the entries that point at it (one transaction).
      await blobs.putSmallMany(fitting.map(({ commit, bytes }) => ({ contentHash: commit.contentHash, bytes })));
      return ctx.files.registerAndCommitFiles(userId, fitting.map(({ commit }) => commit));
    });
    return { committed, fitting };
  });
  committed.forEach((result, i) => {
    const { index, commit } = fitting[i]!;
    results[index] = result.ok
      ? { path: commit.path, status: 'done', entry: result.entry }
      : { path: commit.path, status: 'error', error: { code: result.code, message: result.message, ...(result.details ? { details: result.details } : {}) } };
  });
  return results as BatchResult[];
}

interface AcceptedFile {
  index: number;
  commit: FileCommit;
  bytes: Buffer;
}

/**
 * The files that fit in the user's quota, in request order; each one that does
 * not is refused on its own with `quota_exceeded` (a smaller one after it may still fit).
 */
async function withinQuota(
  ctx: ServerContext, userId: string, files: AcceptedFile[],
  refuse: (index: number, path: string, refusal: { code: string; message: string }) => void,
): Promise<AcceptedFile[]> {
  const usage = await ctx.storage.usage(userId);
  let free = usage.quotaBytes - usage.usedBytes - usage.reservedBytes;
  const fitting: AcceptedFile[] = [];
  for (const file of files) {
    const current = await ctx.files.getEntry(userId, file.commit.path);
    const needed = file.commit.size - ctx.storage.freedByReplacing(current);
    if (needed > free) {
      refuse(file.index, file.commit.path, { code: 'quota_exceeded', message: `the netdisk is full: ${needed} more bytes do not fit in the ${usage.quotaBytes}-byte quota` });
      continue;
    }
    free -= Math.max(0, needed);
    fitting.push(file);
  }
  return fitting;
}
