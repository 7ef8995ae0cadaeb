import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, EMPTY_CONTENT_HASH, hashBytes } from '../../protocol/contentHash.js';
import { SyncError } from '../errors.js';
import { planHashRanges } from './hashRanges.js';
import { PiscinaHasher } from './piscinaHasher.js';

let dir: string;
let hasher: PiscinaHasher;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hasher-'));
  hasher = new PiscinaHasher({ threads: 2 });
});

afterAll(async () => {
  await hasher.close();
  await rm(dir, { recursive: true, force: true });
});

describe('PiscinaHasher', () => {
  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['exactly one block', BLOCK_SIZE],
    ['one block and a byte', BLOCK_SIZE + 1],
    ['about 20 MiB, split over threads', 5 * BLOCK_SIZE + 12_345],
  ])('matches the protocol ContentHasher for a %s file', async (name, size) => {
    const bytes = randomBytes(size);
    const file = join(dir, `${name}.bin`);
    await writeFile(file, bytes);
    const digest = await hasher.hashFile(file);
    expect(digest).toEqual(hashBytes(bytes));
    if (size === 0) expect(digest.contentHash).toBe(EMPTY_CONTENT_HASH);
  });

  it('does not read a multi-block file again while it is unchanged, but does after a rewrite that keeps size and mtime', async () => {
    const file = join(dir, 'memo.bin');
    await writeFile(file, randomBytes(2 * BLOCK_SIZE + 1));
    let stats = 0;
    const counting = new PiscinaHasher({ threads: 1, stat: async (path) => { stats += 1; return stat(path); } });
    const first = await counting.hashFile(file);
    expect(stats).toBe(2);
    // Only the "before" stat: every read of the file is followed by an "after" stat.
    expect(await counting.hashFile(file)).toEqual(first);
    expect(stats).toBe(3);

    const { mtime } = await stat(file);
    const rewritten = randomBytes(2 * BLOCK_SIZE + 1);
    await writeFile(file, rewritten);
    await utimes(file, mtime, mtime);
    expect(await counting.hashFile(file)).toEqual(hashBytes(rewritten));
    await counting.close();
  });

  it('splits a large file into several block-aligned ranges', () => {
    const ranges = planHashRanges(5 * BLOCK_SIZE + 12_345, 2);
    expect(ranges.length).toBeGreaterThan(1);
    for (const r of ranges) expect(r.start % BLOCK_SIZE).toBe(0);
    expect(ranges.at(-1)?.end).toBe(5 * BLOCK_SIZE + 12_345);
  });

  it('throws file_changed when the file grows while it is read', async () => {
    const file = join(dir, 'growing.bin');
    await writeFile(file, randomBytes(2 * BLOCK_SIZE));
    let calls = 0;
    // The first stat is the "before" reading; appending right after it means the
    // workers and the "after" stat see a different file, every time.
    const appendingHasher = new PiscinaHasher({
      threads: 2,
      stat: async (path) => {
        const stats = await stat(path);
        if (++calls === 1) await appendFile(path, randomBytes(1000));
        return stats;
      },
    });
    try {
      await expect(appendingHasher.hashFile(file)).rejects.toMatchObject({ code: 'file_changed' });
    } finally {
      await appendingHasher.close();
    }
  });

  it('throws file_changed when the file is deleted while it is read', async () => {
    const file = join(dir, 'deleted.bin');
    await writeFile(file, randomBytes(2 * BLOCK_SIZE));
    let calls = 0;
    // Deleted right after the "before" stat: the workers fail to open it.
    const deletingHasher = new PiscinaHasher({
      threads: 2,
      stat: async (path) => {
        const stats = await stat(path);
        if (++calls === 1) await unlink(path);
        return stats;
      },
    });
    try {
      await expect(deletingHasher.hashFile(file)).rejects.toMatchObject({ code: 'file_changed' });
    } finally {
      await deletingHasher.close();
    }
  });

  it('hashes a burst of small files whole in the workers, with no stat on the calling thread', async () => {
    let stats = 0;
    const counting = new PiscinaHasher({ threads: 2, stat: async (path) => { stats += 1; return stat(path); } });
    try {
      const sizes = [0, 1, 100, 4096, 65_536, BLOCK_SIZE - 1, BLOCK_SIZE, ...Array.from({ length: 200 }, (_, i) => i * 37)];
      const files = await Promise.all(sizes.map(async (size, i) => {
        const bytes = randomBytes(size);
        const file = join(dir, `burst-${i}.bin`);
        await writeFile(file, bytes);
        return { file, bytes };
      }));
      const digests = await Promise.all(files.map(({ file }) => counting.hashFile(file)));
      digests.forEach((digest, i) => expect(digest).toEqual(hashBytes(files[i]!.bytes)));
      expect(stats).toBe(0);
      // One block and a byte is a multi-block file: stat-ed before and after its ranges.
      await writeFile(join(dir, 'over.bin'), randomBytes(BLOCK_SIZE + 1));
      await counting.hashFile(join(dir, 'over.bin'));
      expect(stats).toBe(2);
    } finally {
      await counting.close();
    }
  });

  it('refuses a folder and a FIFO as not_found, without waiting for a writer on the FIFO', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(hasher.hashFile(fifo)).rejects.toMatchObject({ code: 'not_found' });
    await expect(hasher.hashFile(dir)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reads a small file whole with its fstat, and refuses what is not one', async () => {
    const bytes = randomBytes(70_000);
    const file = join(dir, 'small.bin');
    await writeFile(file, bytes);
    const read = await hasher.readSmallFile(file);
    expect(Buffer.from(read.bytes).equals(bytes)).toBe(true);
    expect(read.digest).toEqual(hashBytes(bytes));
    const stats = await stat(file);
    expect(read.file).toEqual({ size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino, dev: stats.dev });

    await writeFile(join(dir, 'two-blocks.bin'), randomBytes(BLOCK_SIZE + 1));
    await expect(hasher.readSmallFile(join(dir, 'two-blocks.bin'))).rejects.toMatchObject({ code: 'file_changed' });
    await expect(hasher.readSmallFile(dir)).rejects.toMatchObject({ code: 'file_changed' });
    // A symlink is not followed, even to a small file: the open's own error, as node:fs gives it.
    await symlink(file, join(dir, 'link.bin'));
    await expect(hasher.readSmallFile(join(dir, 'link.bin'))).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(hasher.readSmallFile(join(dir, 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports a missing file as not_found and a cancelled hash as aborted', async () => {
    await expect(hasher.hashFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'not_found' });
    const file = join(dir, 'cancel.bin');
    await writeFile(file, randomBytes(BLOCK_SIZE));
    const controller = new AbortController();
    controller.abort();
    const error = await hasher.hashFile(file, controller.signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: 'aborted' });
  });
});

describe('PiscinaHasher setup', () => {
  it('says to build the project when the compiled worker is missing', () => {
    expect(() => new PiscinaHasher({ workerPath: join(tmpdir(), 'no-such-worker.js') })).toThrow(/npm run build/);
  });
});
