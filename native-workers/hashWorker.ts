import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE } from '../protocol/contentHash.js';
import type { HashRangeResult, HashRangeTask } from '../protocol/hashWorker.js';

// One block-sized buffer per thread, reused by every task this thread runs:
// a whole block is read in one call, so each block is one read and one update.
const buffer = Buffer.allocUnsafe(BLOCK_SIZE);

/** Piscina entry point: the SHA-256 of every block in a block-aligned range of a file. */
export default async function hashRange({ path, start, end }: HashRangeTask): Promise<HashRangeResult> {
  if (start % BLOCK_SIZE !== 0 || end < start) throw new RangeError(`range [${start}, ${end}) is not block-aligned`);
  const handle = await open(path, 'r');
  try {
    const blockHashes: string[] = [];
    let position = start;
    while (position < end) {
      const want = Math.min(BLOCK_SIZE, end - position);
      const got = await readFully(handle, want, position);
      if (got > 0) blockHashes.push(createHash('sha256').update(buffer.subarray(0, got)).digest('hex'));
      position += got;
      if (got < want) break;
    }
    return { blockHashes, bytesRead: position - start };
  } finally {
    await handle.close();
  }
}

/** Reads up to `length` bytes at `position` into the buffer; fewer only at end of file. */
async function readFully(handle: FileHandle, length: number, position: number): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
