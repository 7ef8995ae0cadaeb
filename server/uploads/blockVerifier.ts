import { ContentHasher } from '../../protocol/contentHash.js';
import type { ChunkVerifier } from '../blobs/blobStore.js';
import { ApiError } from '../errors.js';

/** Checks a chunk's bytes against the block digests the client declared when it created the upload. */
export class BlockVerifier implements ChunkVerifier {
  private readonly hasher = new ContentHasher();

  constructor(private readonly expected: readonly string[], private readonly chunkIndex: number) {}

  update(bytes: Uint8Array): void {
    this.hasher.update(bytes);
  }

  finish(): void {
    const actual = this.hasher.digest().blockHashes;
    const matches = actual.length === this.expected.length && actual.every((hash, i) => hash === this.expected[i]);
    if (!matches) {
      throw new ApiError('chunk_hash_mismatch', `chunk ${this.chunkIndex} does not match its declared block digests`, { chunk: this.chunkIndex });
    }
  }
}
