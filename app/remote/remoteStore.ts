import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { challengeSchema, CreateUploadRequest, UploadStatus, User } from '../../protocol/api.js';
import type { SyncError } from '../errors.js';
import type { RefusedRemoteEntry, RemoteChange, RemoteNode } from '../model.js';

export type { CreateUploadRequest, UploadStatus };
export type Challenge = z.infer<typeof challengeSchema>;

export type { RemoteChange };

export interface ChangePage {
  changes: RemoteChange[];
  /** Changes of this page the client refuses; the cursor still moves past them. */
  refused: RefusedRemoteEntry[];
  cursor: number;
  hasMore: boolean;
}

/** One folder's listing: the entries the client accepts, and the ones it refuses. */
export interface Listing {
  nodes: RemoteNode[];
  refused: RefusedRemoteEntry[];
}

export interface ChangesOptions {
  limit?: number;
  /** Long-poll up to this many seconds for a change (0: answer at once). */
  waitSeconds?: number;
  signal?: AbortSignal;
}

/** `POST /uploads`: committed at once, a possession challenge, or a session to send chunks to. */
export type UploadStart =
  | { status: 'done'; node: RemoteNode }
  | { status: 'challenge'; challenge: Challenge }
  | ({ status: 'upload' } & UploadStatus);

/** A chunk body. A factory, not a stream, so the body can be sent again after a token refresh. */
export type ChunkBody = Uint8Array | (() => Readable);

export interface PutChunkOptions {
  signal?: AbortSignal;
  /** Bytes of this chunk sent so far. */
  onProgress?: (bytesSent: number) => void;
}

export interface BatchFile {
  path: string;
  content: Uint8Array;
  contentHash: string;
  mtime: number;
  ifRev?: string | null;
}

export type BatchResult =
  | { path: string; ok: true; node: RemoteNode }
  | { path: string; ok: false; error: SyncError };

export interface DownloadOptions {
  /** Inclusive byte range, as in HTTP. */
  range?: { start: number; end: number };
  /** A content hash the caller already has: answered 304 without a body. */
  ifNoneMatch?: string;
  signal?: AbortSignal;
}

export interface Download {
  /** 200 whole file, 206 the range, 304 not modified (empty body). */
  status: 200 | 206 | 304;
  /** The content hash, from the ETag. */
  contentHash: string | null;
  /** Bytes in `body`. */
  length: number;
  /** The whole file's size, when the answer says it. */
  totalSize: number | null;
  body: Readable;
}

/**
 * The engine's port to the service. One attempt per call: retrying and
 * backing off is the transfer queue's decision. Every failure is a
 * `SyncError`; a precondition miss is a `RemoteConflictError` carrying the
 * entry the service holds now.
 */
export interface RemoteStore {
  me(signal?: AbortSignal): Promise<User>;
  list(path: string, signal?: AbortSignal): Promise<Listing>;
  meta(path: string, signal?: AbortSignal): Promise<RemoteNode>;
  mkdir(path: string, options?: { mtime?: number; signal?: AbortSignal }): Promise<RemoteNode>;
  move(from: string, to: string, ifRev?: string | null, signal?: AbortSignal): Promise<RemoteNode>;
  /** Moves the entry (and a folder's subtree) to the trash; returns it as it was. */
  delete(path: string, ifRev?: string | null, signal?: AbortSignal): Promise<RemoteNode>;
  changes(cursor: number, options?: ChangesOptions): Promise<ChangePage>;
  /** The newest cursor: taken before a full listing, the feed continues from it. */
  latestCursor(signal?: AbortSignal): Promise<number>;
  createUpload(request: CreateUploadRequest, signal?: AbortSignal): Promise<UploadStart>;
  /** Proves possession of the challenged range of `localPath` and repeats the request with the proof. */
  answerChallenge(request: CreateUploadRequest, challenge: Challenge, localPath: string, signal?: AbortSignal): Promise<UploadStart>;
  putChunk(uploadId: string, index: number, body: ChunkBody, options?: PutChunkOptions): Promise<UploadStatus>;
  uploadStatus(uploadId: string, signal?: AbortSignal): Promise<UploadStatus>;
  completeUpload(uploadId: string, signal?: AbortSignal): Promise<RemoteNode>;
  abortUpload(uploadId: string, signal?: AbortSignal): Promise<void>;
  batchUpload(files: readonly BatchFile[], signal?: AbortSignal): Promise<BatchResult[]>;
  download(path: string, options?: DownloadOptions): Promise<Download>;
}
