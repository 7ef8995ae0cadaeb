/**
 * Content-addressed byte storage, keyed by the protocol's content hash, plus
 * staging areas where a chunked upload is assembled. Two adapters: local disk
 * (LocalBlobStore) and S3 (S3BlobStore), where a staging area is a multipart
 * upload, chunk n is part n+1, and commit completes the upload under the
 * content key.
 */
export interface BlobStore {
  /** Prepares an empty staging area for an upload meant to become `plan.contentHash`. */
  createStaging(uploadId: string, plan: StagingPlan): Promise<void>;
  /**
   * Streams exactly `length` bytes of `source` into the staging area at
   * `offset`, feeding every byte to `verify`. Rejects (and the chunk counts
   * as unwritten) if the source ends early, runs past `length`, fails, or
   * `verify` throws. Resolves once the bytes are written (a later commit
   * includes them); they are durable only after `flushStaging` or commit.
   */
  writeChunk(uploadId: string, offset: number, length: number, source: ByteSource, verify: ChunkVerifier): Promise<void>;
  /** Makes every chunk written to the staging area so far durable. */
  flushStaging(uploadId: string): Promise<void>;
  /**
   * The chunks the store itself confirms it holds durably, ascending, or null
   * when it cannot tell (a local staging file's regions say nothing). An S3
   * multipart upload lists its parts, so after a service restart a chunk S3
   * confirmed counts even if the service died before recording it.
   */
  stagedChunks(uploadId: string): Promise<number[] | null>;
  /** Makes the assembled staging area the blob `contentHash`, atomically. */
  commitStaging(uploadId: string, contentHash: string): Promise<void>;
  /** Drops a staging area and whatever it holds (idempotent). */
  abortStaging(uploadId: string): Promise<void>;
  /**
   * Drops staging areas begun before `olderThan` (ms since the epoch) unless
   * `owned(uploadId)` says a session still uses them: those left behind by a
   * crash between creating one and recording its session, or by a session
   * deleted while the store was unreachable. Returns how many were dropped.
   */
  sweepStaging(olderThan: number, owned: (uploadId: string) => Promise<boolean>): Promise<number>;
  /** Stores a small blob in one step, durably (idempotent). */
  putSmall(contentHash: string, bytes: Uint8Array): Promise<void>;
  /**
   * `putSmall` for many blobs at once; resolves once every one is durable
   * (rejects if any failed: some may then be stored, which is harmless for
   * content-addressed blobs). Lets a store share its flushes among them.
   */
  putSmallMany(blobs: readonly SmallBlob[]): Promise<void>;
  has(contentHash: string): Promise<boolean>;
  /** The blob's bytes, or the inclusive byte range `[start, end]` of them; `not_found` if absent. */
  read(contentHash: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;
  /** Removes a blob (idempotent). */
  delete(contentHash: string): Promise<void>;
}

export interface SmallBlob {
  contentHash: string;
  bytes: Uint8Array;
}

/** What a staging area will hold. */
export interface StagingPlan {
  size: number;
  /** Every chunk but the last has this length; chunk n starts at n * chunkSize. */
  chunkSize: number;
  contentHash: string;
}

/** A store whose blobs a client may fetch directly, without the service in the byte path. */
export interface DirectReads {
  /** A short-lived URL that GETs the blob (Range honoured) with no other credentials. */
  directReadUrl(contentHash: string): Promise<string>;
}

export interface ByteRange {
  start: number;
  /** Inclusive, as in HTTP `Range`. */
  end: number;
}

export type ByteSource = AsyncIterable<Uint8Array>;

/** Watches the bytes of a chunk go by; `finish` throws when they are not the expected ones. */
export interface ChunkVerifier {
  update(bytes: Uint8Array): void;
  finish(): void;
}
