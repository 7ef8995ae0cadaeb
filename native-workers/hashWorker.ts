import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE } from '../protocol/contentHash.js';
import type { HashRangeResult, HashRangeTask } from '../protocol/hashWorker.js';

// Two block-sized buffers per thread, reused by every task this thread runs:
// while one block is hashed here, the next is read into the other buffer on
// libuv's pool, so the thread never waits for a read it could have overlapped.
const buffers = [Buffer.allocUnsafe(BLOCK_SIZE), Buffer.allocUnsafe(BLOCK_SIZE)] as const;

/** Piscina entry point: the SHA-256 of every block in a block-aligned range of a file. */
export default async function hashRange({ path, start, end }: HashRangeTask): Promise<HashRangeResult> {
  if (start % BLOCK_SIZE !== 0 || end < start) throw new RangeError(`range [${start}, ${end}) is not block-aligned`);
  const handle = await open(path, 'r');
  try {
    const blockHashes: string[] = [];
    let position = start;
    let index = 0;
    let pending = position < end ? readBlock(handle, buffers[0], position, end) : null;
    while (pending) {
      const { buffer, want, got } = await pending;
      position += got;
      const more = got === want && position < end;
      pending = more ? readBlock(handle, buffers[++index % 2]!, position, end) : null;
      if (got > 0) blockHashes.push(createHash('sha256').update(buffer.subarray(0, got)).digest('hex'));
    }
    return { blockHashes, bytesRead: position - start };
  } finally {
    await handle.close();
  }
}

/** Reads the block at `position` (cut at `end`) into `buffer`; `got < want` only at end of file. */
async function readBlock(handle: FileHandle, buffer: Buffer, position: number, end: number): Promise<{ buffer: Buffer; want: number; got: number }> {
  const want = Math.min(BLOCK_SIZE, end - position);
  let got = 0;
  while (got < want) {
    const { bytesRead } = await handle.read(buffer, got, want - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return { buffer, want, got };
}
