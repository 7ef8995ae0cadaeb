import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `count` files of random bytes (sizes uniform in [minBytes, maxBytes]) spread
 * over folders of `perFolder` files, from a fixed seed-free random stream:
 * random content, so neither side can deduplicate or compress.
 */
export function writeSmallFiles(root: string, count: number, minBytes: number, maxBytes: number, perFolder = 100): number {
  let total = 0;
  const pool = randomBytes(maxBytes * 4);
  for (let i = 0; i < count; i++) {
    const folder = join(root, `d${String(Math.floor(i / perFolder)).padStart(4, '0')}`);
    if (i % perFolder === 0) mkdirSync(folder, { recursive: true });
    const size = minBytes + Math.floor(Math.random() * (maxBytes - minBytes + 1));
    const offset = Math.floor(Math.random() * (pool.length - size));
    // A unique prefix, so no two files share content even when they share a slice of the pool.
    const head = Buffer.from(`${i}:${randomBytes(8).toString('hex')}:`);
    const fd = openSync(join(folder, `f${i}.bin`), 'w');
    writeSync(fd, head);
    writeSync(fd, pool, offset, Math.max(0, size - head.length));
    closeSync(fd);
    total += Math.max(size, head.length);
  }
  return total;
}

/** One file of `bytes` random bytes, written in 8 MiB pieces. */
export function writeLargeFile(path: string, bytes: number): void {
  const piece = 8 * 1024 * 1024;
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += piece) writeSync(fd, randomBytes(Math.min(piece, bytes - written)));
  } finally {
    closeSync(fd);
  }
}
