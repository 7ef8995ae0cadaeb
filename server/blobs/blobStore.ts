/**
 * Content-addressed byte storage, keyed by the protocol's content hash, plus
 * staging areas where a chunked upload is assembled. Shaped so an S3 adapter
 * can implement it: a staging area is a multipart upload, chunk n is part n,
 * commit completes the upload under the content key.
 */
export interface BlobStore {
  /** Prepares an empty staging area for an upload of `size` bytes. */
  createStaging(uploadId: string, size: number): Promise<void>;
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
  /** Makes the assembled staging area the blob `contentHash`, atomically. */
  commitStaging(uploadId: string, contentHash: string): Promise<void>;
  /** Drops a staging area and whatever it holds (idempotent). */
  abortStaging(uploadId: string): Promise<void>;
  /** Stores a small blob in one step, durably (idempotent). */
  putSmall(contentHash: string, bytes: Uint8Array): Promise<void>;
  has(contentHash: string): Promise<boolean>;
  /** The blob's bytes, or the inclusive byte range `[start, end]` of them; `not_found` if absent. */
  read(contentHash: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;
  /** Removes a blob (idempotent). */
  delete(contentHash: string): Promise<void>;
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
