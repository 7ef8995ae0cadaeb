import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe } from 'vitest';
import type { BlobStore } from '../../server/blobs/blobStore.js';
import { LocalBlobStore, SMALL_BLOB_PACK } from '../../server/blobs/localBlobStore.js';
import { readSmallBlobs } from '../../server/blobs/smallBlobPack.js';
import { s3Client, S3BlobStore, type S3Settings } from '../../server/blobs/s3BlobStore.js';
import type { ServerConfig } from '../../server/config.js';
import { RGW_REGION, rgwMissing, type RgwInfo } from './rgw.js';
import { sharedRgw } from './sharedRgw.js';
import { testDatabase } from './testDatabase.js';

/** Where a test service keeps content, and how a test looks inside it without going through the service. */
export interface BlobPlace {
  /** Points a test service's config at this place. */
  configure(config: ServerConfig): void;
  /** A second handle on the same content, as a maintenance process would open it. */
  store(config: ServerConfig): BlobStore;
  /** Every stored blob with a digest of its bytes, and every staging area with what it holds, sorted: equal before and after a refused request. */
  snapshot(config: ServerConfig): Promise<{ blobs: string[]; staging: string[] }>;
  /** Upload ids that still have a staging area. */
  stagingIds(config: ServerConfig): Promise<string[]>;
}

export interface BlobBackend {
  name: 'local' | 's3';
  /** Why this backend cannot run on this machine; its suites are skipped with this reason printed. */
  skipReason: string | undefined;
  /** A fresh place (S3: a new bucket in the run's shared RGW). */
  prepare(): Promise<BlobPlace>;
}

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((name) => join(root, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(root, path))
    .sort();
}

/** The data folder, as the local store lays it out. */
export const localPlace: BlobPlace = {
  configure(config) {
    config.blobs = { kind: 'local' };
  },
  store: (config) => new LocalBlobStore(config.dataDir),
  async snapshot({ dataDir }) {
    const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    const files = filesUnder(join(dataDir, 'blobs')).filter((name) => !name.startsWith(SMALL_BLOB_PACK))
      .map((name) => `${name} ${digest(readFileSync(join(dataDir, 'blobs', name)))}`);
    // The small-blob database's rows, not its files (whose bytes move with every checkpoint).
    const small = readSmallBlobs(join(dataDir, 'blobs', SMALL_BLOB_PACK)).map(({ contentHash, bytes }) => `${SMALL_BLOB_PACK}:${contentHash} ${digest(bytes)}`);
    const blobs = [...files, ...small].sort();
    // Staging bytes are not hashed: an unreceived chunk's region holds nothing trusted.
    const staging = filesUnder(join(dataDir, 'staging')).map((name) => `${name} ${statSync(join(dataDir, 'staging', name)).size}`);
    return { blobs, staging };
  },
  stagingIds: async ({ dataDir }) => readdirSync(join(dataDir, 'staging')),
};

const local: BlobBackend = {
  name: 'local',
  skipReason: undefined,
  prepare: async () => localPlace,
};

/** Settings for a bucket in `rgw`; the credentials travel by environment, as the SDK's default chain reads them. */
export function rgwSettings(rgw: RgwInfo, bucket: string, prefix = 'netdisk/'): S3Settings {
  process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
  return { endpoint: rgw.endpoint, region: RGW_REGION, bucket, prefix, forcePathStyle: true };
}

export async function createBucket(rgw: RgwInfo): Promise<S3Settings> {
  const settings = rgwSettings(rgw, `netdisk-${randomBytes(6).toString('hex')}`);
  await s3Client(settings).send(new CreateBucketCommand({ Bucket: settings.bucket }));
  return settings;
}

async function listAll<T>(page: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const { items, next } = await page(marker);
    all.push(...items);
    marker = next;
  } while (marker);
  return all;
}

async function objectsUnder(client: S3Client, bucket: string, prefix: string): Promise<{ key: string; etag: string; size: number }[]> {
  return listAll(async (token) => {
    const answer = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    return {
      items: (answer.Contents ?? []).map((o) => ({ key: o.Key!, etag: o.ETag ?? '', size: o.Size ?? 0 })),
      next: answer.IsTruncated ? answer.NextContinuationToken : undefined,
    };
  });
}

const s3: BlobBackend = {
  name: 's3',
  // One metadata database per content store is enough: S3 is covered in the SQLite run.
  skipReason: rgwMissing() ?? (testDatabase === 'postgres' ? 'the PostgreSQL run covers the metadata on the local store; S3 runs with SQLite' : undefined),
  async prepare() {
    const settings = await createBucket(await sharedRgw());
    const client = s3Client(settings);
    const { bucket, prefix } = settings;
    return {
      configure(config) {
        config.blobs = { kind: 's3', ...settings, presign: false };
      },
      store: () => new S3BlobStore(settings),
      async snapshot() {
        const blobs = (await objectsUnder(client, bucket, `${prefix}blobs/`)).map((o) => `${o.key} ${o.size} ${o.etag}`);
        const uploads = (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).Uploads ?? [];
        const staging: string[] = [];
        for (const upload of uploads) {
          const parts = (await client.send(new ListPartsCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }))).Parts ?? [];
          staging.push(`${upload.Key} ${upload.UploadId} ${parts.map((p) => `${p.PartNumber}:${p.Size}:${p.ETag}`).join(',')}`);
        }
        for (const o of await objectsUnder(client, bucket, `${prefix}staging/`)) staging.push(`${o.key} ${o.etag}`);
        return { blobs: blobs.sort(), staging: staging.sort() };
      },
      async stagingIds() {
        const manifests = (await objectsUnder(client, bucket, `${prefix}staging/`)).map((o) => o.key.slice(`${prefix}staging/`.length, -'.json'.length));
        const uploads = (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).Uploads ?? [];
        // A multipart upload without a manifest would be a leak the ids alone cannot show.
        return uploads.length === manifests.length ? manifests : [...manifests, `(${uploads.length} multipart uploads)`];
      },
    };
  },
};

/** The content stores every upload, download and collection suite runs against. */
export const blobBackends: readonly BlobBackend[] = [local, s3];

for (const backend of blobBackends) {
  if (backend.skipReason) console.warn(`skipping the ${backend.name} blob store suites: ${backend.skipReason}`);
}

/**
 * Declares `body` once per content store, as one parameterized suite: each
 * copy gets a fresh place (a new S3 bucket, or the data folder) before its
 * own hooks run, and a store that cannot run here is skipped, its reason
 * printed.
 */
export function describeEachBlobStore(title: string, body: (store: { name: BlobBackend['name']; place(): BlobPlace }) => void): void {
  for (const backend of blobBackends) {
    describe.skipIf(backend.skipReason !== undefined)(`${title} [${backend.name} store]`, () => {
      let place: BlobPlace | undefined;
      // Long: the first S3 suite of a run starts RGW (about 11 s, more under load).
      beforeAll(async () => {
        place = await backend.prepare();
      }, 180_000);
      body({
        name: backend.name,
        place: () => {
          if (!place) throw new Error('the blob store is not prepared yet');
          return place;
        },
      });
    });
  }
}
