import { createHash } from 'node:crypto';

/**
 * Content hash, as Dropbox documents `content_hash`: the file is cut into 4 MiB
 * blocks, each block gets SHA-256, and the content hash is the hex SHA-256 of
 * the concatenated raw block digests. An empty file has no blocks, so its hash
 * is SHA-256 of nothing. Block digests double as per-chunk checksums.
 */
export const BLOCK_SIZE = 4 * 1024 * 1024;

export const EMPTY_CONTENT_HASH = createHash('sha256').digest('hex');

export function blockCount(size: number): number {
  return Math.ceil(size / BLOCK_SIZE);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Combines hex block digests into the content hash. */
export function contentHashOfBlocks(blockHashes: readonly string[]): string {
  const outer = createHash('sha256');
  for (const hex of blockHashes) outer.update(Buffer.from(hex, 'hex'));
  return outer.digest('hex');
}

export interface ContentDigest {
  contentHash: string;
  blockHashes: string[];
  size: number;
}

/** Streaming hasher: feed bytes in any slicing, get the same digest. */
export class ContentHasher {
  private readonly blockHashes: string[] = [];
  private block = createHash('sha256');
  private inBlock = 0;
  private size = 0;

  update(data: Uint8Array): this {
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(BLOCK_SIZE - this.inBlock, data.length - offset);
      this.block.update(data.subarray(offset, offset + take));
      this.inBlock += take;
      offset += take;
      if (this.inBlock === BLOCK_SIZE) this.finishBlock();
    }
    this.size += data.length;
    return this;
  }

  digest(): ContentDigest {
    if (this.inBlock > 0) this.finishBlock();
    return { contentHash: contentHashOfBlocks(this.blockHashes), blockHashes: [...this.blockHashes], size: this.size };
  }

  private finishBlock(): void {
    this.blockHashes.push(this.block.digest('hex'));
    this.block = createHash('sha256');
    this.inBlock = 0;
  }
}

export function hashBytes(data: Uint8Array): ContentDigest {
  return new ContentHasher().update(data).digest();
}

/**
 * Possession proof for instant upload: hex SHA-256 of the nonce bytes followed
 * by the file bytes in the challenged range. A leaked content hash alone cannot
 * produce it.
 */
export function possessionProof(nonceHex: string, rangeBytes: Uint8Array): string {
  return createHash('sha256').update(Buffer.from(nonceHex, 'hex')).update(rangeBytes).digest('hex');
}
