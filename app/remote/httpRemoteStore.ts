import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { z } from 'zod';
import {
  batchUploadResponse, checkedChangesResponse, checkedListResponse, latestCursorResponse, createUploadResponse, entryResponse, meResponse,
  uploadStatusSchema, type BatchManifest, type CreateUploadRequest, type User,
} from '../../protocol/api.js';
import { ERROR_STATUS, errorCodeSchema } from '../../protocol/errors.js';
import { possessionProof } from '../../protocol/contentHash.js';
import { shareResponse, sharesResponse, type CreateShareRequest, type Share } from '../../protocol/shares.js';
import { versionsResponse, type FileVersions, type RestoreVersionRequest } from '../../protocol/versions.js';
import type { TokenSession } from '../auth/tokenSession.js';
import { SyncError } from '../errors.js';
import type { RemoteNode } from '../model.js';
import type { ApiClient, ApiRequest } from './apiClient.js';
import { atPath, malformedAnswer, serviceRefusal } from './remoteErrors.js';
import { refusedEntry } from './refusedEntry.js';
import { toRemoteNode } from './remoteNode.js';
import type {
  BatchFile, BatchResult, ChangePage, ChangesOptions, Challenge, ChunkBody, Download, DownloadOptions,
  Listing, PutChunkOptions, RemoteStore, UploadStart, UploadStatus,
} from './remoteStore.js';
import type { RemoteShares } from './remoteShares.js';
import { checkCreatedShare, checkRevokedShare } from './shareAnswers.js';
import type { RemoteVersions } from './remoteVersions.js';

/** Extra silence a long poll may see beyond its wait before the socket counts as dead. */
const LONG_POLL_GRACE_MS = 30_000;

type AuthorizedRequest = Omit<ApiRequest, 'accessToken'>;

/** `RemoteStore` (and the share links and version history) over the service's HTTP API, signed in through a `TokenSession`. */
export class HttpRemoteStore implements RemoteStore, RemoteShares, RemoteVersions {
  constructor(private readonly api: ApiClient, private readonly session: TokenSession) {}

  async me(signal?: AbortSignal): Promise<User> {
    return (await this.call({ method: 'GET', path: '/me', signal }, meResponse)).user;
  }

  async list(path: string, signal?: AbortSignal): Promise<Listing> {
    const { entries } = await this.call({ method: 'GET', path: '/files', searchParams: { path }, signal }, checkedListResponse);
    return {
      nodes: entries.accepted.map(toRemoteNode),
      refused: entries.refused.map(({ item, reason }) => refusedEntry(item, reason)),
    };
  }

  async meta(path: string, signal?: AbortSignal): Promise<RemoteNode> {
    return this.entry({ method: 'GET', path: '/files/meta', searchParams: { path }, signal }, path);
  }

  mkdir(path: string, options: { mtime?: number; signal?: AbortSignal } = {}): Promise<RemoteNode> {
    const json = options.mtime === undefined ? { path } : { path, mtime: options.mtime };
    return this.entry({ method: 'POST', path: '/files/mkdir', json, signal: options.signal }, path);
  }

  move(from: string, to: string, ifRev?: string | null, signal?: AbortSignal): Promise<RemoteNode> {
    return this.entry({ method: 'POST', path: '/files/move', json: { from, to, ifRev }, signal }, to);
  }

  delete(path: string, ifRev?: string | null, signal?: AbortSignal): Promise<RemoteNode> {
    return this.entry({ method: 'POST', path: '/files/delete', json: { path, ifRev }, signal }, path);
  }

  async latestCursor(signal?: AbortSignal): Promise<number> {
    return (await this.call({ method: 'GET', path: '/changes/latest', signal }, latestCursorResponse)).cursor;
  }

  async changes(cursor: number, options: ChangesOptions = {}): Promise<ChangePage> {
    const wait = options.waitSeconds ?? 0;
    const page = await this.call({
      method: 'GET',
      path: '/changes',
      searchParams: { cursor, wait, ...(options.limit === undefined ? {} : { limit: options.limit }) },
      signal: options.signal,
      idleTimeoutMs: wait * 1000 + LONG_POLL_GRACE_MS,
    }, checkedChangesResponse);
    return {
      changes: page.changes.accepted.map(({ entry, ...change }) => ({ ...change, node: toRemoteNode(entry) })),
      refused: page.changes.refused.map(({ item, reason }) => refusedEntry(item, reason)),
      cursor: page.cursor,
      hasMore: page.hasMore,
    };
  }

  async createUpload(request: CreateUploadRequest, signal?: AbortSignal): Promise<UploadStart> {
    const answer = await this.call({ method: 'POST', path: '/uploads', json: request, signal }, createUploadResponse);
    return answer.status === 'done' ? { status: 'done', node: atPath(toRemoteNode(answer.entry), request.path) } : answer;
  }

  async answerChallenge(request: CreateUploadRequest, challenge: Challenge, localPath: string, signal?: AbortSignal): Promise<UploadStart> {
    const bytes = await readRange(localPath, challenge.offset, challenge.length);
    return this.createUpload({ ...request, proof: { id: challenge.id, value: possessionProof(challenge.nonce, bytes) } }, signal);
  }

  putChunk(uploadId: string, index: number, body: ChunkBody, options: PutChunkOptions = {}): Promise<UploadStatus> {
    return this.session.authorized(async (accessToken) => {
      const payload = typeof body === 'function' ? body() : body;
      try {
        return await this.api.call({
          method: 'PUT',
          path: `/uploads/${encodeURIComponent(uploadId)}/chunks/${index}`,
          headers: { 'content-type': 'application/octet-stream' },
          body: payload,
          accessToken,
          signal: options.signal,
          onUploadProgress: options.onProgress,
        }, uploadStatusSchema);
      } finally {
        // A refused request may leave the file stream half read and open.
        if (typeof body === 'function') (payload as Readable).destroy();
      }
    });
  }

  uploadStatus(uploadId: string, signal?: AbortSignal): Promise<UploadStatus> {
    return this.call({ method: 'GET', path: `/uploads/${encodeURIComponent(uploadId)}`, signal }, uploadStatusSchema);
  }

  completeUpload(uploadId: string, signal?: AbortSignal): Promise<RemoteNode> {
    return this.entry({ method: 'POST', path: `/uploads/${encodeURIComponent(uploadId)}/complete`, signal });
  }

  abortUpload(uploadId: string, signal?: AbortSignal): Promise<void> {
    return this.session.authorized((accessToken) =>
      this.api.call({ method: 'DELETE', path: `/uploads/${encodeURIComponent(uploadId)}`, accessToken, signal }, null));
  }

  /**
   * `POST /uploads/batch/binary`: a manifest line, then the files' bytes as
   * they are. The JSON batch's base64 cost both sides a third more bytes, an
   * 11 MB string to build, encode, decode and parse per request, and most of
   * the garbage collection of a many-small-files sync.
   */
  async batchUpload(files: readonly BatchFile[], signal?: AbortSignal): Promise<BatchResult[]> {
    const manifest: BatchManifest = {
      files: files.map((file) => ({ path: file.path, contentHash: file.contentHash, mtime: file.mtime, ifRev: file.ifRev, size: file.content.length })),
    };
    // Sent piece by piece, not joined: a fresh 8 MiB buffer per request cost more in page faults than the copy.
    const pieces = [Buffer.from(`${JSON.stringify(manifest)}\n`), ...files.map((file) => file.content)];
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
    const { results } = await this.session.authorized(async (accessToken) => {
      // A fresh stream per attempt: a retry after a refreshed token sends the pieces again.
      const body = Readable.from(pieces, { objectMode: false });
      try {
        return await this.api.call({
          method: 'POST',
          path: '/uploads/batch/binary',
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) },
          body,
          accessToken,
          signal,
        }, batchUploadResponse);
      } finally {
        body.destroy();
      }
    });
    // Answered one by one, in order: a result for another file must not be taken for this one's.
    if (results.length !== files.length || results.some((result, i) => result.path !== files[i]!.path.normalize('NFC'))) {
      throw malformedAnswer(200, 'the batch answer does not match the files sent, one by one');
    }
    return results.map((result): BatchResult => {
      if (result.status === 'done') return { path: result.path, ok: true, node: atPath(toRemoteNode(result.entry), result.path) };
      const code = errorCodeSchema.safeParse(result.error.code);
      const error = code.success
        ? serviceRefusal(ERROR_STATUS[code.data], code.data, result.error.message, result.error.details)
        : malformedAnswer(200, `unknown error code "${result.error.code}" for ${result.path}`);
      return { path: result.path, ok: false, error };
    });
  }

  async download(path: string, options: DownloadOptions = {}): Promise<Download> {
    const headers: Record<string, string> = {};
    if (options.range) headers.range = `bytes=${options.range.start}-${options.range.end}`;
    if (options.ifNoneMatch) headers['if-none-match'] = `"${options.ifNoneMatch}"`;
    const answer = await this.session.authorized((accessToken) =>
      this.api.stream({ method: 'GET', path: '/files/content', searchParams: { path }, headers, accessToken, signal: options.signal }));
    const { status } = answer;
    if (status !== 200 && status !== 206 && status !== 304) {
      answer.body.destroy();
      throw malformedAnswer(status, `unexpected status for a download of ${path}`);
    }
    const length = status === 304 ? 0 : Number(answer.headers['content-length'] ?? Number.NaN);
    const total = /\/(\d+)$/.exec(answer.headers['content-range'] ?? '')?.[1];
    return {
      status,
      contentHash: /^(?:W\/)?"?([^"]*)"?$/.exec(answer.headers.etag ?? '')?.[1] || null,
      length,
      totalSize: total !== undefined ? Number(total) : status === 200 ? length : null,
      body: answer.body,
    };
  }

  async createShare(request: CreateShareRequest, signal?: AbortSignal): Promise<Share> {
    return checkCreatedShare((await this.call({ method: 'POST', path: '/shares', json: request, signal }, shareResponse)).share, request);
  }

  async listShares(signal?: AbortSignal): Promise<Share[]> {
    return (await this.call({ method: 'GET', path: '/shares', signal }, sharesResponse)).shares;
  }

  async revokeShare(id: string, signal?: AbortSignal): Promise<Share> {
    return checkRevokedShare((await this.call({ method: 'DELETE', path: `/shares/${encodeURIComponent(id)}`, signal }, shareResponse)).share, id);
  }

  async listVersions(path: string, signal?: AbortSignal): Promise<FileVersions> {
    const { entry, versions } = await this.call({ method: 'GET', path: '/files/versions', searchParams: { path }, signal }, versionsResponse);
    // The history must be of the file asked about: a service that answers another's is refused.
    const node = atPath(toRemoteNode(entry), path);
    return { path: node.path, versions };
  }

  restoreVersion(request: RestoreVersionRequest, signal?: AbortSignal): Promise<RemoteNode> {
    return this.entry({ method: 'POST', path: '/files/versions/restore', json: request, signal }, request.path);
  }

  private call<S extends z.ZodType>(request: AuthorizedRequest, schema: S): Promise<z.output<S>> {
    return this.session.authorized((accessToken) => this.api.call({ ...request, accessToken }, schema));
  }

  /** An entry answer; with `expectedPath`, the entry must be the one asked about (a move: the one at the target). */
  private async entry(request: AuthorizedRequest, expectedPath?: string): Promise<RemoteNode> {
    const node = toRemoteNode((await this.call(request, entryResponse)).entry);
    return expectedPath === undefined ? node : atPath(node, expectedPath);
  }
}


/** The challenged bytes of the local file; a shorter file has changed since it was hashed. */
async function readRange(localPath: string, offset: number, length: number): Promise<Uint8Array> {
  const handle = await open(localPath, 'r');
  try {
    const bytes = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(bytes, filled, length - filled, offset + filled);
      if (bytesRead === 0) {
        throw new SyncError('file_changed', `${localPath} is shorter than when it was hashed`, { path: localPath });
      }
      filled += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
