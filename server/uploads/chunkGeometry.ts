import { BLOCK_SIZE } from '../../protocol/contentHash.js';

/** How a file of `size` bytes is cut into chunks of `chunkSize` (a multiple of the 4 MiB block). */
export interface ChunkLayout {
  size: number;
  chunkSize: number;
}

export function chunkCount({ size, chunkSize }: ChunkLayout): number {
  return Math.ceil(size / chunkSize);
}

export function chunkOffset({ chunkSize }: ChunkLayout, n: number): number {
  return n * chunkSize;
}

/** Every chunk is `chunkSize` long except the last, which holds the rest. */
export function chunkLength(layout: ChunkLayout, n: number): number {
  return Math.min(layout.chunkSize, layout.size - chunkOffset(layout, n));
}

/** The block digests covering chunk `n`: chunks start on block boundaries. */
export function chunkBlockHashes(layout: ChunkLayout, blockHashes: readonly string[], n: number): string[] {
  const blocksPerChunk = layout.chunkSize / BLOCK_SIZE;
  return blockHashes.slice(n * blocksPerChunk, (n + 1) * blocksPerChunk);
}
