import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, ContentHasher, EMPTY_CONTENT_HASH, blockCount, contentHashOfBlocks, hashBytes, possessionProof } from './contentHash.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

describe('content hash', () => {
  it('hashes an empty file to SHA-256 of nothing', () => {
    expect(hashBytes(new Uint8Array()).contentHash).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(EMPTY_CONTENT_HASH).toBe(hashBytes(new Uint8Array()).contentHash);
    expect(hashBytes(new Uint8Array()).blockHashes).toEqual([]);
  });

  it('is SHA-256 over the concatenated raw block digests', () => {
    const data = randomBytes(BLOCK_SIZE * 2 + 123);
    const blocks = [data.subarray(0, BLOCK_SIZE), data.subarray(BLOCK_SIZE, 2 * BLOCK_SIZE), data.subarray(2 * BLOCK_SIZE)];
    const expected = createHash('sha256').update(Buffer.concat(blocks.map(sha))).digest('hex');
    const digest = hashBytes(data);
    expect(digest.contentHash).toBe(expected);
    expect(digest.blockHashes).toEqual(blocks.map((b) => sha(b).toString('hex')));
    expect(contentHashOfBlocks(digest.blockHashes)).toBe(expected);
    expect(digest.size).toBe(data.length);
  });

  it('gives the same digest whatever the slicing of the input', () => {
    const data = randomBytes(BLOCK_SIZE + 7);
    const hasher = new ContentHasher();
    for (let i = 0; i < data.length; i += 999_983) hasher.update(data.subarray(i, i + 999_983));
    expect(hasher.digest()).toEqual(hashBytes(data));
  });

  it('one byte more or a flipped byte changes the hash; an exact block boundary adds no empty block', () => {
    const data = randomBytes(BLOCK_SIZE);
    expect(hashBytes(data).blockHashes).toHaveLength(1);
    expect(blockCount(BLOCK_SIZE)).toBe(1);
    const flipped = Buffer.from(data);
    flipped[100]! ^= 1;
    expect(hashBytes(flipped).contentHash).not.toBe(hashBytes(data).contentHash);
  });

  it('possession proof depends on nonce and bytes', () => {
    const bytes = randomBytes(100);
    const a = possessionProof('00ff', bytes);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(possessionProof('00fe', bytes)).not.toBe(a);
    expect(a).toBe(createHash('sha256').update(Buffer.from([0, 255])).update(bytes).digest('hex'));
  });
});
