import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { pythonZipListing, unzipTest } from '../../test/helpers/zipReaders.js';
import { zipSize, zipStream, type ZipMember } from './zipStream.js';

const scratch = mkdtempSync(join(tmpdir(), 'zip-stream-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function* yielding(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

function file(name: string, text: string): ZipMember {
  const bytes = Buffer.from(text);
  return { name, mtime: Date.UTC(2026, 0, 3, 12, 30, 8), file: { size: bytes.length, read: async () => yielding(bytes) } };
}

/** The zip of `members` written to a real file; its length checked against `zipSize` (the Content-Length sent before it). */
async function writeZip(name: string, members: readonly ZipMember[]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of zipStream(members)) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  expect(bytes.length).toBe(zipSize(members));
  const path = join(scratch, name);
  await writeFile(path, bytes);
  return path;
}

describe('the share zip writer', () => {
  test('names are flagged UTF-8, so Chinese names come out as they went in', async () => {
    const zip = await writeZip('names.zip', [{ name: '相册/', mtime: 0 }, file('相册/第一天 海滩.txt', '海'), file('相册/naïve résumé.txt', 'r')]);
    expect(await unzipTest(zip)).toMatch(/No errors detected/);
    const listing = await pythonZipListing(zip, ['相册/', '相册/第一天 海滩.txt', '相册/naïve résumé.txt']);
    expect(listing.bad).toBeNull();
    expect(listing.shown.map(({ name, utf8, text }) => [name, utf8, text])).toEqual([
      ['相册/', true, null], ['相册/第一天 海滩.txt', true, '海'], ['相册/naïve résumé.txt', true, 'r'],
    ]);
  });

  test('more than 65,535 entries: the ZIP64 end of central directory carries the count', async () => {
    const count = 70_000;
    const members = [{ name: 'many/', mtime: 0 }, ...Array.from({ length: count }, (_, i) => file(`many/${String(i).padStart(5, '0')}-文件.txt`, `#${i}`))];
    const zip = await writeZip('many.zip', members);
    expect(await unzipTest(zip)).toMatch(/No errors detected/);
    const last = `many/${String(count - 1).padStart(5, '0')}-文件.txt`;
    const listing = await pythonZipListing(zip, ['many/00000-文件.txt', last]);
    expect(listing.bad).toBeNull();
    expect(listing.count).toBe(count + 1);
    expect(listing.shown.map(({ name, text }) => [name, text])).toEqual([['many/00000-文件.txt', '#0'], [last, `#${count - 1}`]]);
  }, 120_000);

  test('a file that yields other than its announced size fails the stream', async () => {
    const liar: ZipMember = { name: 'short.txt', mtime: 0, file: { size: 10, read: async () => yielding(Buffer.from('only 7 ')) } };
    await expect(writeZip('liar.zip', [liar])).rejects.toThrow('short.txt had 7 bytes, not 10');
  });
});
