import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, ContentHasher, hashBytes, sha256Hex } from '../../protocol/contentHash.js';
import type { BlobStore, ChunkVerifier, StagingPlan } from './blobStore.js';
import { syncDirectory } from './fsyncCoalescer.js';
import { LocalBlobStore, SMALL_BLOB_PACK } from './localBlobStore.js';

/** A staging plan for `size` bytes; the local store only uses the size. */
function plan(size: number): StagingPlan {
  return { size, chunkSize: 2 * BLOCK_SIZE, contentHash: '0'.repeat(64) };
}

async function* pieces(bytes: Uint8Array, size = 65536): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Accepts bytes whose block digests are `expected`. */
function verifierFor(expected: string[]): ChunkVerifier {
  const hasher = new ContentHasher();
  return {
    update(bytes) {
      hasher.update(bytes);
    },
    finish() {
      if (JSON.stringify(hasher.digest().blockHashes) !== JSON.stringify(expected)) throw new Error('digest mismatch');
    },
  };
}

/** Resolves once `condition` holds (polled every few ms). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('LocalBlobStore', () => {
  let root: string;
  let store: LocalBlobStore;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'netdisk-blobs-'));
    store = new LocalBlobStore(root);
  });
  afterEach(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('assembles chunks written out of order and commits them under the content hash', async () => {
    const data = randomBytes(2 * BLOCK_SIZE + 12345);
    const digest = hashBytes(data);
    await store.createStaging('up1', plan(data.length));
    const second = data.subarray(BLOCK_SIZE * 2);
    await store.writeChunk('up1', BLOCK_SIZE * 2, second.length, pieces(second), verifierFor([digest.blockHashes[2]!]));
    const first = data.subarray(0, BLOCK_SIZE * 2);
    await store.writeChunk('up1', 0, first.length, pieces(first, 1000), verifierFor(digest.blockHashes.slice(0, 2)));
    expect(await store.has(digest.contentHash)).toBe(false);

    await store.commitStaging('up1', digest.contentHash);
    expect(await store.has(digest.contentHash)).toBe(true);
    expect(readdirSync(join(root, 'staging'))).toEqual([]);
    const path = join(root, 'blobs', digest.contentHash.slice(0, 2), digest.contentHash.slice(2, 4), digest.contentHash);
    expect(readFileSync(path).equals(data)).toBe(true);
    expect((await collect(await store.read(digest.contentHash))).equals(data)).toBe(true);
    expect((await collect(await store.read(digest.contentHash, { start: 10, end: 19 }))).equals(data.subarray(10, 20))).toBe(true);
  });

  it('refuses a chunk that is too short or too long, without reading past the expected length', async () => {
    const data = randomBytes(300_000);
    await store.createStaging('up2', plan(data.length));
    const verify = verifierFor([sha256Hex(data)]);
    await expect(store.writeChunk('up2', 0, data.length, pieces(data.subarray(1)), verify))
      .rejects.toMatchObject({ code: 'chunk_length_mismatch' });

    let yielded = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        yielded += 1;
        yield randomBytes(100_000);
      }
    }
    await expect(store.writeChunk('up2', 0, data.length, endless(), verifierFor([sha256Hex(data)])))
      .rejects.toMatchObject({ code: 'chunk_length_mismatch' });
    expect(yielded).toBe(4);
  });

  it('rejects the write when the verifier refuses the bytes', async () => {
    const data = randomBytes(5000);
    await store.createStaging('up3', plan(data.length));
    await expect(store.writeChunk('up3', 0, data.length, pieces(data), verifierFor([sha256Hex(randomBytes(5000))])))
      .rejects.toThrow('digest mismatch');
  });

  it('passes on a failing source', async () => {
    await store.createStaging('up4', plan(10));
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(3);
      throw new Error('connection reset');
    }
    await expect(store.writeChunk('up4', 0, 10, broken(), verifierFor([]))).rejects.toThrow('connection reset');
    await store.abortStaging('up4');
    await store.abortStaging('up4');
    expect(readdirSync(join(root, 'staging'))).toEqual([]);
  });

  it('stores small blobs, reads missing ones as not_found, deletes idempotently', async () => {
    const bytes = Buffer.from('hello');
    const { contentHash } = hashBytes(bytes);
    await store.putSmall(contentHash, bytes);
    await store.putSmall(contentHash, bytes);
    expect((await collect(await store.read(contentHash))).toString()).toBe('hello');
    expect(readdirSync(join(root, 'staging'))).toEqual([]);
    await store.delete(contentHash);
    await store.delete(contentHash);
    expect(await store.has(contentHash)).toBe(false);
    await expect(store.read(contentHash)).rejects.toMatchObject({ code: 'not_found' });
  });

  describe('many small blobs at once', () => {
    const blobs = (count: number) => Array.from({ length: count }, () => {
      const bytes = randomBytes(1 + Math.floor(Math.random() * 70_000));
      return { contentHash: hashBytes(bytes).contentHash, bytes };
    });

    it('stores them in the small-blob database, readable (whole and in ranges) from a second handle, with no file or temp file each', async () => {
      const batch = blobs(120);
      batch.push({ ...batch[0]! });
      await store.putSmallMany(batch);
      // Another process's view: committed rows, not anything held in this handle.
      const other = new LocalBlobStore(root);
      try {
        for (const { contentHash, bytes } of batch) {
          expect(await other.has(contentHash)).toBe(true);
          expect((await collect(await other.read(contentHash))).equals(bytes)).toBe(true);
        }
        const { contentHash, bytes } = batch[1]!;
        const end = Math.min(bytes.length - 1, 999);
        expect((await collect(await other.read(contentHash, { start: 1, end }))).equals(bytes.subarray(1, end + 1))).toBe(true);
      } finally {
        other.close();
      }
      expect(readdirSync(join(root, 'blobs')).filter((name) => !name.startsWith(SMALL_BLOB_PACK))).toEqual([]);
      expect(readdirSync(join(root, 'staging'))).toEqual([]);
    });

    it('answers a batch only after an fdatasync of the log that began after its commit, the blob folder fsynced before the first', async () => {
      const synced: string[] = [];
      const flushes: { file: string; logBytes: number; finish(error?: Error): void }[] = [];
      store.close();
      store = new LocalBlobStore(root, {
        syncDirectory: async (dir) => {
          synced.push(dir);
          await syncDirectory(dir);
        },
        syncFileData: (file) => new Promise<void>((resolve, reject) => {
          flushes.push({ file, logBytes: statSync(file).size, finish: (error) => (error ? reject(error) : resolve()) });
        }),
      });
      const log = join(root, 'blobs', `${SMALL_BLOB_PACK}-wal`);
      const first = blobs(5);
      let answered = false;
      const put = store.putSmallMany(first).then(() => { answered = true; });
      await until(() => flushes.length === 1);
      expect(flushes[0]!.file).toBe(log);
      // The batch was committed into the log before its flush began.
      expect(flushes[0]!.logBytes).toBeGreaterThan(first.reduce((sum, { bytes }) => sum + bytes.length, 0));
      expect(synced).toEqual([join(root, 'blobs')]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(answered).toBe(false);
      flushes[0]!.finish();
      await put;

      // Later batches: the log's name is known durable; a failed flush refuses the batch.
      const second = store.putSmallMany(blobs(2));
      await until(() => flushes.length === 2);
      flushes[1]!.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await expect(second).rejects.toMatchObject({ code: 'EIO' });
      expect(synced).toHaveLength(1);
    });

    it('checks every hash before storing anything', async () => {
      const batch = blobs(3);
      await expect(store.putSmallMany([...batch, { contentHash: '../../x', bytes: Buffer.from('x') }])).rejects.toThrow('not a content hash');
      for (const { contentHash } of batch) expect(await store.has(contentHash)).toBe(false);
    });

    it('deletes a small blob like a blob file: gone for every handle, idempotently', async () => {
      const [kept, dropped] = blobs(2);
      await store.putSmallMany([kept!, dropped!]);
      await store.delete(dropped!.contentHash);
      await store.delete(dropped!.contentHash);
      const other = new LocalBlobStore(root);
      try {
        expect(await other.has(dropped!.contentHash)).toBe(false);
        await expect(other.read(dropped!.contentHash)).rejects.toMatchObject({ code: 'not_found' });
        expect(await other.has(kept!.contentHash)).toBe(true);
      } finally {
        other.close();
      }
    });
  });

  describe('directory fsyncs of committed blob files', () => {
    /** Every directory fsync, with the names the directory held when it began. */
    let syncs: { dir: string; names: string[] }[];
    let failSyncs: boolean;
    beforeEach(() => {
      syncs = [];
      failSyncs = false;
      store.close();
      store = new LocalBlobStore(root, {
        syncDirectory: async (dir) => {
          syncs.push({ dir, names: readdirSync(dir) });
          if (failSyncs) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
          await syncDirectory(dir);
        },
      });
    });

    const blobPath = (contentHash: string) => join(root, 'blobs', contentHash.slice(0, 2), contentHash.slice(2, 4), contentHash);
    /** Stages `count` uploads of random bytes; returns them with their hashes. */
    const staged = async (count: number, tag: string) => {
      const uploads: { id: string; contentHash: string; bytes: Buffer }[] = [];
      for (let i = 0; i < count; i++) {
        const bytes = randomBytes(1000 + i);
        const digest = hashBytes(bytes);
        const id = `${tag}${i}`;
        await store.createStaging(id, plan(bytes.length));
        await store.writeChunk(id, 0, bytes.length, pieces(bytes), verifierFor(digest.blockHashes));
        uploads.push({ id, contentHash: digest.contentHash, bytes });
      }
      return uploads;
    };

    it('fsyncs the directory a blob was renamed into, after the rename, and each new directory\'s parent', async () => {
      const uploads = await staged(20, 'up');
      await Promise.all(uploads.map(({ id, contentHash }) => store.commitStaging(id, contentHash)));
      for (const { contentHash, bytes } of uploads) {
        expect(readFileSync(blobPath(contentHash)).equals(bytes)).toBe(true);
        const dir = dirname(blobPath(contentHash));
        // Began after the rename into it: it covers it.
        expect(syncs.find((sync) => sync.dir === dir && sync.names.includes(contentHash)), dir).toBeDefined();
        // The path to it was made durable too: its entry in its parent, and the parent's in blobs/.
        const parent = dirname(dir);
        expect(syncs.find((sync) => sync.dir === parent && sync.names.includes(dir.slice(-2))), parent).toBeDefined();
        expect(syncs.find((sync) => sync.dir === join(root, 'blobs') && sync.names.includes(parent.slice(-2)))).toBeDefined();
      }
      expect(readdirSync(join(root, 'staging'))).toEqual([]);
    });

    it('fsyncs only the leaf directory for a blob going into a directory this process already made durable', async () => {
      const [first] = await staged(1, 'a');
      await store.commitStaging(first!.id, first!.contentHash);
      syncs = [];
      // The same content staged again (a retried upload): its directory's path is known durable by now.
      const bytes = first!.bytes;
      await store.createStaging('again', plan(bytes.length));
      await store.writeChunk('again', 0, bytes.length, pieces(bytes), verifierFor(hashBytes(bytes).blockHashes));
      await store.commitStaging('again', first!.contentHash);
      expect(syncs.map((sync) => sync.dir)).toEqual([dirname(blobPath(first!.contentHash))]);
    });

    it('refuses the commit when an fsync fails, and tries the directories again next time', async () => {
      const [upload] = await staged(1, 'f');
      failSyncs = true;
      await expect(store.commitStaging(upload!.id, upload!.contentHash)).rejects.toMatchObject({ code: 'EIO' });
      failSyncs = false;
      syncs = [];
      // Nothing was renamed: the staged upload is still there to commit again.
      await store.commitStaging(upload!.id, upload!.contentHash);
      expect(readFileSync(blobPath(upload!.contentHash)).equals(upload!.bytes)).toBe(true);
      // The parents whose fsync failed are synced again, not taken as durable.
      expect(syncs.some((sync) => sync.dir === join(root, 'blobs'))).toBe(true);
    });
  });

  it('sweeps staging files left behind before a cutoff that no session owns, and only those', async () => {
    await store.createStaging('old', plan(10));
    await store.createStaging('new', plan(10));
    const cutoff = Date.now() - 60_000;
    utimesSync(join(root, 'staging', 'old'), new Date(cutoff - 1000), new Date(cutoff - 1000));
    utimesSync(join(root, 'staging', 'new'), new Date(cutoff - 1000), new Date(cutoff - 1000));
    await store.createStaging('young', plan(10));
    // 'new' is as old as 'old', but a session still owns it.
    expect(await store.sweepStaging(cutoff, async (id) => id === 'new')).toBe(1);
    expect(readdirSync(join(root, 'staging')).sort()).toEqual(['new', 'young']);
    const port: BlobStore = store;
    expect(await port.stagedChunks('young')).toBeNull();
  });

  it('refuses names that are not hashes or upload ids', async () => {
    await expect(store.has('../../etc/passwd')).rejects.toThrow('not a content hash');
    await expect(store.createStaging('../x', plan(1))).rejects.toThrow('not an upload id');
  });
});
