import { ConfigError, type ServerConfig } from '../config.js';
import type { BlobStore, DirectReads } from './blobStore.js';
import { LocalBlobStore } from './localBlobStore.js';
import { S3_MAX_PARTS } from './s3Limits.js';

export interface OpenedBlobStore {
  store: BlobStore;
  /** Present when downloads should be redirected to the store (NETDISK_S3_PRESIGN=1). */
  directReads?: DirectReads;
  /** The most chunks one upload may have in this store. */
  maxChunks?: number;
  /** Releases what the store holds open (the local store's small-blob database). */
  close?(): void;
}

/**
 * The configured content store, checked before the service accepts a
 * request: a missing bucket or refused credentials stop the start with one
 * clear line (a ConfigError) instead of failing every upload later.
 */
export async function openBlobStore(config: ServerConfig): Promise<OpenedBlobStore> {
  const { blobs } = config;
  if (blobs.kind === 'local') {
    const store = new LocalBlobStore(config.dataDir);
    return { store, close: () => store.close() };
  }
  // Loaded only when used: the SDK is large, and a local-disk service never needs it.
  const { S3BlobStore } = await import('./s3BlobStore.js');
  const store = new S3BlobStore(blobs);
  try {
    await store.check();
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return { store, maxChunks: S3_MAX_PARTS, ...(blobs.presign ? { directReads: store } : {}) };
}
