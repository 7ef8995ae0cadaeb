import { BLOCK_SIZE, blockCount } from '../../protocol/contentHash.js';

export interface ByteRange {
  start: number;
  end: number;
}

// 64 MiB per task: large enough that task overhead is noise, small enough that
// several large files interleave across the pool instead of queueing whole.
export const MAX_RANGE_BLOCKS = 16;

/**
 * Cuts a file of `size` bytes into block-aligned ranges so that its blocks are
 * spread over `threads` workers. A file of at most one block is one range (an
 * empty file is the single range [0, 0), which hashes to no blocks).
 */
export function planHashRanges(size: number, threads: number): ByteRange[] {
  const blocks = blockCount(size);
  if (blocks <= 1) return [{ start: 0, end: size }];
  const blocksPerRange = Math.min(MAX_RANGE_BLOCKS, Math.max(1, Math.ceil(blocks / Math.max(1, threads))));
  const ranges: ByteRange[] = [];
  for (let first = 0; first < blocks; first += blocksPerRange) {
    ranges.push({ start: first * BLOCK_SIZE, end: Math.min(size, (first + blocksPerRange) * BLOCK_SIZE) });
  }
  return ranges;
}
