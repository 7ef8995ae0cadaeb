import type { ContentDigest } from '../../protocol/contentHash.js';
import type { OpenedFile } from '../../protocol/hashWorker.js';

/** A small file read whole: its bytes, their digest, and the opened file's own stats (fstat). */
export interface SmallFileRead {
  bytes: Uint8Array;
  digest: ContentDigest;
  file: OpenedFile;
}

/**
 * Hashing as a port: the engine asks for a file's content digest (protocol
 * content hash plus per-block digests) and never cares where the CPU work runs.
 * Throws SyncError 'file_changed' when the file moved while it was read.
 */
export interface Hasher {
  hashFile(absPath: string, signal?: AbortSignal): Promise<ContentDigest>;
  /**
   * A file of at most one block (BLOCK_SIZE), read and hashed in one go, for
   * an upload that sends the bytes it checked. Opened without following a
   * symlink or waiting on a FIFO. Throws SyncError 'file_changed' when the path
   * holds no regular file of at most one block or the file changed while it
   * was read, and the file system's own error (errno `code` kept) when the
   * open or a read failed.
   */
  readSmallFile(absPath: string, signal?: AbortSignal): Promise<SmallFileRead>;
  close(): Promise<void>;
}
