import type { Clock } from '../clock.js';
import type { JobQueueStore } from '../db/stateStore.js';
import type { LocalPaths } from '../local/localPaths.js';
import type { Hasher } from '../hash/hasher.js';
import type { RemoteStore } from '../remote/remoteStore.js';
import type { TokenBucket } from './tokenBucket.js';

/** What the upload and download executors work with; built once by the engine. */
export interface TransferContext {
  remote: RemoteStore;
  hasher: Hasher;
  jobs: JobQueueStore;
  paths: LocalPaths;
  /** Partial downloads live here (partialDirOf the root): on the sync folder's disk, so the final rename and link are atomic. */
  partialDir: string;
  upload: TokenBucket;
  download: TokenBucket;
  clock: Clock;
  /** This machine's name, for the conflicted copy of a version set aside during a replace. */
  host: string;
  /** Chunks of one file in flight at once. */
  chunkConcurrency: number;
  /** Bytes moved for a job (for progress), as they pass. */
  onBytes(jobId: number, bytes: number): void;
}
