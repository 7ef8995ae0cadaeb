import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashBytes } from '../../protocol/contentHash.js';
import { readBinaryBatch } from './batchBody.js';

/** The body as a socket might deliver it: cut into pieces of the given sizes (the last takes the rest). */
async function* cut(body: Buffer, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const size of sizes) {
    if (at >= body.length) return;
    yield body.subarray(at, at + size);
    at += size;
  }
  if (at < body.length) yield body.subarray(at);
}

function bodyOf(contents: readonly Buffer[]): Buffer {
  const files = contents.map((bytes, i) => ({ path: `/f${i}`, contentHash: hashBytes(bytes).contentHash, mtime: 1, size: bytes.length }));
  return Buffer.concat([Buffer.from(`${JSON.stringify({ files })}\n`), ...contents]);
}

describe('readBinaryBatch', () => {
  const contents = [randomBytes(5000), Buffer.alloc(0), randomBytes(1), randomBytes(70_000), randomBytes(300)];
  const body = bodyOf(contents);

  it.each([
    ['one piece', [body.length]],
    ['pieces of 1 byte', Array.from({ length: body.length }, () => 1)],
    ['pieces of 4 KiB, every file and the manifest across some', Array.from({ length: 30 }, () => 4096)],
    ['uneven pieces', [7, 300, 1, 65536, 3, 9000]],
  ])('splits the files out of %s', async (_what, sizes) => {
    const batch = await readBinaryBatch(cut(body, sizes), body.length);
    expect(batch.manifest.files.map((file) => file.path)).toEqual(['/f0', '/f1', '/f2', '/f3', '/f4']);
    expect(batch.contents.map((bytes) => bytes.toString('hex'))).toEqual(contents.map((bytes) => bytes.toString('hex')));
  });

  it('refuses a body past the limit as soon as it runs past, declared or counted', async () => {
    let yielded = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        yielded += 1;
        yield Buffer.alloc(1024 * 1024);
      }
    }
    await expect(readBinaryBatch(endless(), undefined)).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(yielded).toBe(17);
    await expect(readBinaryBatch(cut(body, []), 17 * 1024 * 1024)).rejects.toMatchObject({ code: 'payload_too_large' });
  });
});
