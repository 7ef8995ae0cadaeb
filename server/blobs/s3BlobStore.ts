import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ApiError } from '../errors.js';
import type { BlobStore, ByteRange, ByteSource, ChunkVerifier, DirectReads, SmallBlob, StagingPlan } from './blobStore.js';
import { exactBytes } from './exactLength.js';
import { fromS3, isS3NotFound, s3StatusOf } from './s3Errors.js';

/** How long a presigned download URL works: long enough to start a transfer, short enough that a leaked one soon dies. */
export const PRESIGN_TTL_SECONDS = 300;

const HASH = /^[0-9a-f]{64}$/;
const SILENT = { debug() {}, info() {}, warn() {}, error() {} };
/** Part bodies are written to the socket in pieces of about this size: fewer, larger writes than the ~64 KiB the client's socket delivers. */
const PART_WRITE_BYTES = 1024 * 1024;
const STAGING_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface S3Settings {
  /** e.g. http://127.0.0.1:7480 or https://cos.ap-guangzhou.myqcloud.com; absent: AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Prepended to every key, e.g. `netdisk/`. */
  prefix: string;
  forcePathStyle: boolean;
}

/** What the service remembers about a staging area, as a small object beside it, so any process (or a restarted one) finds it. */
interface StagingManifest {
  key: string;
  multipartId: string;
  size: number;
  chunkSize: number;
}

/** The SDK client as the service uses it. Credentials come from the SDK's default chain (environment, shared files), never from our config. */
export function s3Client(settings: S3Settings, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    // Ceph RGW 16 and older MinIO/COS reject the newer default CRC trailers; MD5/SHA-256 signing still covers the bytes.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK's standard retry: backoff with jitter on 5xx, SlowDown and other throttling, and transient network errors.
    retryMode: 'standard',
    maxAttempts: 4,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    ...overrides,
  });
}

/**
 * Blobs as objects `<prefix>blobs/<hash>`. A staging area is a multipart
 * upload to the blob's own key (so commit is CompleteMultipartUpload, with no
 * copy), plus a manifest object `<prefix>staging/<uploadId>.json` naming it.
 * Chunk n is part n+1; a part is streamed to S3 as it is verified, and its
 * last piece is held back until the verifier has seen every byte, so a
 * corrupt chunk is cut off before S3 can accept it: any part S3 lists was
 * verified.
 */
export class S3BlobStore implements BlobStore, DirectReads {
  /** Part uploads stream a request body, which cannot be replayed: the SDK must not retry them; the client re-sends the chunk. */
  private readonly partClient: S3Client;
  private readonly manifests = new Map<string, StagingManifest>();

  constructor(private readonly settings: S3Settings, private readonly client: S3Client = s3Client(settings)) {
    // Its failures reach the caller as typed errors; the SDK's console warning about each would only add noise.
    // No `Expect: 100-continue` either: the chunk is already arriving, and waiting for S3's go-ahead only stalls it.
    this.partClient = s3Client(settings, { maxAttempts: 1, logger: SILENT, expectContinueHeader: false });
  }

  /** Fails with one clear line when the bucket is missing, the credentials are wrong or the endpoint is unreachable. */
  async check(): Promise<void> {
    const where = `bucket "${this.settings.bucket}" at ${this.settings.endpoint ?? `AWS ${this.settings.region}`}`;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (error) {
      const status = s3StatusOf(error);
      const name = (error as Error).name;
      if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') throw new Error(`S3 ${where} does not exist`);
      if (status === 403 || status === 400) throw new Error(`S3 ${where} refused the credentials from the AWS SDK's default chain (${name}, HTTP ${status})`);
      if (name === 'CredentialsProviderError') {
        throw new Error(`no S3 credentials for ${where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a shared credentials file`);
      }
      throw new Error(`S3 ${where} is unreachable: ${(error as Error).message}`);
    }
  }

  async createStaging(uploadId: string, plan: StagingPlan): Promise<void> {
    const key = this.blobKey(plan.contentHash);
    const created = await this.attempt('starting the upload', () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.settings.bucket, Key: key, ContentType: 'application/octet-stream' })));
    const manifest: StagingManifest = { key, multipartId: created.UploadId!, size: plan.size, chunkSize: plan.chunkSize };
    try {
      await this.attempt('starting the upload', () => this.client.send(new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.manifestKey(uploadId),
        Body: JSON.stringify(manifest),
        ContentType: 'application/json',
      })));
    } catch (error) {
      await this.abortMultipart(manifest).catch(() => {});
      throw error;
    }
    this.manifests.set(uploadId, manifest);
  }

  async writeChunk(uploadId: string, offset: number, length: number, source: ByteSource, verify: ChunkVerifier): Promise<void> {
    const manifest = await this.manifest(uploadId);
    if (!manifest) throw new ApiError('upload_expired', 'the storage no longer holds this upload; create it again');
    const abort = new AbortController();
    let refusal: unknown;
    // Socket pieces (~64 KiB) are gathered into ~1 MiB writes, and the last batch waits for the verifier's verdict.
    async function* verified(): AsyncGenerator<Uint8Array> {
      try {
        let batch: Uint8Array[] = [];
        let batchBytes = 0;
        for await (const piece of exactBytes(source, length)) {
          verify.update(piece);
          if (batchBytes >= PART_WRITE_BYTES) {
            yield Buffer.concat(batch, batchBytes);
            batch = [];
            batchBytes = 0;
          }
          batch.push(piece);
          batchBytes += piece.length;
        }
        verify.finish();
        if (batchBytes > 0) yield Buffer.concat(batch, batchBytes);
      } catch (error) {
        // The SDK pipes this body into its request, and a pipe does not pass errors on: cut the request ourselves.
        refusal = error;
        abort.abort();
      }
    }
    try {
      await this.partClient.send(new UploadPartCommand({
        Bucket: this.settings.bucket,
        Key: manifest.key,
        UploadId: manifest.multipartId,
        PartNumber: offset / manifest.chunkSize + 1,
        ContentLength: length,
        Body: Readable.from(verified(), { objectMode: false }),
      }), { abortSignal: abort.signal });
    } catch (error) {
      throw fromS3(refusal ?? error, 'storing a chunk');
    }
    if (refusal) throw fromS3(refusal, 'storing a chunk');
  }

  /** A part is durable once S3 answered its upload. */
  async flushStaging(): Promise<void> {}

  async stagedChunks(uploadId: string): Promise<number[] | null> {
    const manifest = await this.manifest(uploadId);
    if (!manifest) return [];
    try {
      return (await this.parts(manifest)).map((part) => part.PartNumber! - 1);
    } catch (error) {
      if ((error as Error).name === 'NoSuchUpload') return [];
      throw fromS3(error, 'listing the stored chunks');
    }
  }

  async commitStaging(uploadId: string, contentHash: string): Promise<void> {
    const manifest = await this.manifest(uploadId);
    if (!manifest || manifest.key !== this.blobKey(contentHash)) throw new Error(`upload ${uploadId} was not staged for ${contentHash}`);
    const parts = await this.attempt('completing the upload', () => this.parts(manifest));
    const expected = Math.ceil(manifest.size / manifest.chunkSize);
    if (parts.length !== expected) throw new Error(`upload ${uploadId} has ${parts.length} of ${expected} parts in S3`);
    await this.attempt('completing the upload', () => this.client.send(new CompleteMultipartUploadCommand({
      Bucket: this.settings.bucket,
      Key: manifest.key,
      UploadId: manifest.multipartId,
      MultipartUpload: { Parts: parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) },
    })));
    // RGW 16 answers Complete with an empty ETag; a HEAD confirms the object is there, whole.
    const head = await this.attempt('completing the upload', () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: manifest.key })));
    if (head.ContentLength !== manifest.size) throw new Error(`S3 holds ${head.ContentLength} bytes for ${contentHash}, not ${manifest.size}`);
    await this.dropManifest(uploadId);
  }

  async abortStaging(uploadId: string): Promise<void> {
    const manifest = await this.manifest(uploadId);
    if (!manifest) return;
    await this.abortMultipart(manifest);
    await this.dropManifest(uploadId);
  }

  async sweepStaging(olderThan: number, owned: (uploadId: string) => Promise<boolean>): Promise<number> {
    const { bucket, prefix } = this.settings;
    // Manifests first: they say which multipart upload each staging area is.
    const ownedUploads = new Set<string>();
    const staleManifests: { uploadId: string; key: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.attempt('sweeping uploads', () => this.client.send(new ListObjectsV2Command({
        Bucket: bucket, Prefix: `${prefix}staging/`, ContinuationToken: token,
      })));
      for (const object of page.Contents ?? []) {
        const uploadId = object.Key!.slice(`${prefix}staging/`.length, -'.json'.length);
        if (await owned(uploadId)) {
          const manifest = await this.manifest(uploadId);
          if (manifest) ownedUploads.add(manifest.multipartId);
        } else if (object.LastModified && object.LastModified.getTime() < olderThan) {
          staleManifests.push({ uploadId, key: object.Key! });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    let dropped = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.attempt('sweeping uploads', () => this.client.send(new ListMultipartUploadsCommand({
        Bucket: bucket, Prefix: `${prefix}blobs/`, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker,
      })));
      for (const upload of page.Uploads ?? []) {
        if (ownedUploads.has(upload.UploadId!) || !upload.Initiated || upload.Initiated.getTime() >= olderThan) continue;
        await this.abortMultipart({ key: upload.Key!, multipartId: upload.UploadId! });
        dropped += 1;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    for (const { uploadId, key } of staleManifests) {
      await this.attempt('sweeping uploads', () => this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
      this.manifests.delete(uploadId);
    }
    return dropped;
  }

  async putSmall(contentHash: string, bytes: Uint8Array): Promise<void> {
    await this.attempt('storing the content', () => this.client.send(new PutObjectCommand({
      Bucket: this.settings.bucket,
      Key: this.blobKey(contentHash),
      Body: bytes,
      ContentLength: bytes.length,
      ContentType: 'application/octet-stream',
    })));
  }

  /** One PUT each, all at once: S3 makes each object durable on its own, there is no flush to share. */
  async putSmallMany(blobs: readonly SmallBlob[]): Promise<void> {
    await Promise.all(blobs.map(({ contentHash, bytes }) => this.putSmall(contentHash, bytes)));
  }

  async has(contentHash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.blobKey(contentHash) }));
      return true;
    } catch (error) {
      if (isS3NotFound(error)) return false;
      throw fromS3(error, 'looking up the content');
    }
  }

  async read(contentHash: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    const answer = await this.attempt('reading the content', () => this.client.send(new GetObjectCommand({
      Bucket: this.settings.bucket,
      Key: this.blobKey(contentHash),
      ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
    })));
    return answer.Body as Readable;
  }

  async delete(contentHash: string): Promise<void> {
    await this.attempt('deleting the content', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.blobKey(contentHash) })));
  }

  directReadUrl(contentHash: string): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.blobKey(contentHash) }), {
      expiresIn: PRESIGN_TTL_SECONDS,
    });
  }

  private async parts(manifest: StagingManifest): Promise<CompletedPart[]> {
    const parts: CompletedPart[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new ListPartsCommand({
        Bucket: this.settings.bucket, Key: manifest.key, UploadId: manifest.multipartId, PartNumberMarker: marker,
      }));
      for (const part of page.Parts ?? []) parts.push({ PartNumber: part.PartNumber!, ETag: part.ETag! });
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
  }

  private async abortMultipart(manifest: Pick<StagingManifest, 'key' | 'multipartId'>): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: manifest.key, UploadId: manifest.multipartId }));
    } catch (error) {
      if ((error as Error).name !== 'NoSuchUpload' && !isS3NotFound(error)) throw fromS3(error, 'dropping the upload');
    }
  }

  /** The staging area's manifest, from memory or (after a restart, or from another process) from S3; null if there is none. */
  private async manifest(uploadId: string): Promise<StagingManifest | null> {
    const known = this.manifests.get(uploadId);
    if (known) return known;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.manifestKey(uploadId) }));
      const manifest = JSON.parse(await answer.Body!.transformToString()) as StagingManifest;
      this.manifests.set(uploadId, manifest);
      return manifest;
    } catch (error) {
      if (isS3NotFound(error)) return null;
      throw fromS3(error, 'finding the upload');
    }
  }

  private async dropManifest(uploadId: string): Promise<void> {
    await this.attempt('ending the upload', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.manifestKey(uploadId) })));
    this.manifests.delete(uploadId);
  }

  private async attempt<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw fromS3(error, what);
    }
  }

  private blobKey(contentHash: string): string {
    if (!HASH.test(contentHash)) throw new Error(`not a content hash: ${contentHash}`);
    return `${this.settings.prefix}blobs/${contentHash}`;
  }

  private manifestKey(uploadId: string): string {
    if (!STAGING_ID.test(uploadId)) throw new Error(`not an upload id: ${uploadId}`);
    return `${this.settings.prefix}staging/${uploadId}.json`;
  }
}
