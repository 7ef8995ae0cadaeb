import type { ContentDigest } from '../../protocol/contentHash.js';

/**
 * Hashing as a port: the engine asks for a file's content digest (protocol
 * content hash plus per-block digests) and never cares where the CPU work runs.
 * Throws SyncError 'file_changed' when the file moved while it was read.
 */
export interface Hasher {
  hashFile(absPath: string, signal?: AbortSignal): Promise<ContentDigest>;
  close(): Promise<void>;
}
