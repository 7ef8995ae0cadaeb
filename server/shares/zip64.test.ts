import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BLOCK_SIZE, blockCount, contentHashOfBlocks, sha256Hex } from '../../protocol/contentHash.js';
import { shareResponse, type Share } from '../../protocol/shares.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { jsonRequest } from '../../test/helpers/jsonRequest.js';
import { openServerMetadata } from '../../test/helpers/serverDb.js';
import { testDatabase } from '../../test/helpers/testDatabase.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { uploadFile } from '../../test/helpers/uploads.js';
import { pythonZipListing, unzipTest } from '../../test/helpers/zipReaders.js';
import { LocalBlobStore } from '../blobs/localBlobStore.js';
import type { Metadata } from '../metadata.js';

/**
 * A shared folder's zip past the classic format's 4 GiB limits (a file over
 * 4 GiB, then an entry whose header starts past 4 GiB), downloaded from the
 * real service and checked by two independent readers, Info-ZIP's `unzip -t`
 * and Python's zipfile. The big file is sparse in the blob store and the zip
 * is written sparse (runs of zeros are skipped), so the disk holds almost
 * nothing of either. (More than 65,535 entries: zipStream.test.ts.)
 */

let server: TestServer;
let metadata: Metadata;
let alice: SignedUpUser;
let scratch: string;

/** The content hash of `size` zero bytes, from the digest of a zero block: no need to read 4 GiB. */
function zerosContentHash(size: number): string {
  const full = sha256Hex(Buffer.alloc(BLOCK_SIZE));
  const blocks = Array.from({ length: blockCount(size) }, (_, i) => {
    const length = Math.min(BLOCK_SIZE, size - i * BLOCK_SIZE);
    return length === BLOCK_SIZE ? full : sha256Hex(Buffer.alloc(length));
  });
  return contentHashOfBlocks(blocks);
}

/**
 * `size` zero bytes at `path` in Alice's drive, stored as a sparse file: the
 * blob store's staging area is created by truncation, and committing it
 * moves it into place without writing a byte.
 */
async function sparseZeroFile(path: string, size: number): Promise<void> {
  const contentHash = zerosContentHash(size);
  const blobs = new LocalBlobStore(server.config.dataDir);
  const uploadId = `zip64-${randomBytes(8).toString('hex')}`;
  await blobs.createStaging(uploadId, { size, chunkSize: BLOCK_SIZE, contentHash });
  await blobs.commitStaging(uploadId, contentHash);
  await metadata.files.registerContent(contentHash, size);
  await metadata.files.commitFile(alice.user.id, { path, size, contentHash, mtime: Date.UTC(2026, 0, 2) });
}

async function shareFolder(path: string): Promise<Share> {
  const response = await jsonRequest(server.api, 'POST', '/shares', { headers: alice.auth, body: { path, code: null } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return shareResponse.parse(response.body).share;
}

/** Downloads a share's zip into `file`, leaving holes where the zip has runs of zeros; returns its Content-Length and the bytes received. */
async function downloadSparse(share: Share, file: string): Promise<{ contentLength: number; received: number }> {
  const response = await fetch(`${server.api}/s/${share.id}/content?path=%2F`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/zip');
  const zeros = Buffer.alloc(1024 * 1024);
  const handle = await open(file, 'w');
  let position = 0;
  try {
    for await (const chunk of response.body!) {
      const bytes = Buffer.from(chunk);
      for (let start = 0; start < bytes.length; start += zeros.length) {
        const piece = bytes.subarray(start, start + zeros.length);
        if (!piece.equals(zeros.subarray(0, piece.length))) await handle.write(piece, 0, piece.length, position);
        position += piece.length;
      }
    }
    await handle.truncate(position);
  } finally {
    await handle.close();
  }
  return { contentLength: Number(response.headers.get('content-length')), received: position };
}

// Four passes over 4 GiB (served, received, unzip -t, Python): once per run, on SQLite; the zip does not depend on the metadata database.
describe.skipIf(testDatabase === 'postgres')('a shared folder as a ZIP64 zip', () => {
  beforeAll(async () => {
    server = await startTestServer();
    metadata = await openServerMetadata(server);
    alice = await signUp(server.api);
    scratch = mkdtempSync(join(tmpdir(), 'zip64-'));
  });
  afterAll(async () => {
    await metadata?.close();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('a file over 4 GiB and a small one after it (its header past 4 GiB), with Chinese names', async () => {
    const size = 2 ** 32 + 5;
    await jsonRequest(server.api, 'POST', '/files/mkdir', { headers: alice.auth, body: { path: '/大文件夹' } });
    await sparseZeroFile('/大文件夹/a-零.bin', size);
    // ASCII first letters: the listing order is the same under any database collation.
    await uploadFile(server.api, alice.auth, '/大文件夹/b-之后.txt', Buffer.from('after the big one'));
    const share = await shareFolder('/大文件夹');

    const zip = join(scratch, 'big.zip');
    const { contentLength, received } = await downloadSparse(share, zip);
    expect(received).toBe(contentLength);
    expect(received).toBeGreaterThan(size);

    expect(await unzipTest(zip)).toMatch(/No errors detected/);
    const read = await pythonZipListing(zip, ['大文件夹/', '大文件夹/a-零.bin', '大文件夹/b-之后.txt']);
    expect(read.bad).toBeNull();
    expect(read.count).toBe(3);
    // In the zip's order: the folder, then its children by name, so the small file's header lies past 4 GiB.
    expect(read.shown).toEqual([
      { name: '大文件夹/', size: 0, utf8: true, text: null, offset: 0 },
      { name: '大文件夹/a-零.bin', size, utf8: true, text: null, offset: expect.any(Number) },
      { name: '大文件夹/b-之后.txt', size: 17, utf8: true, text: 'after the big one', offset: expect.any(Number) },
    ]);
    expect(read.shown[2]!.offset).toBeGreaterThan(size);
  }, 600_000);
});
