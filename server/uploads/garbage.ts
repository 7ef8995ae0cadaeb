import type { BlobStore } from '../blobs/blobStore.js';
import type { FileStore } from '../files/fileStore.js';
import type { ProofChallenges } from './challenges.js';
import type { ContentPins } from './contentPins.js';
import type { Uploads } from './uploads.js';

/** Unreferenced content is kept this long, so that an upload about to commit it still finds it. */
export const CONTENT_GRACE_MS = 60 * 60 * 1000;
export const COLLECT_INTERVAL_MS = 10 * 60 * 1000;

export interface GarbageDeps {
  uploads: Uploads;
  files: FileStore;
  blobs: BlobStore;
  pins: ContentPins;
  challenges: ProofChallenges;
  now(): number;
}

export interface Collected {
  sessions: number;
  blobs: number;
}

/**
 * One collection pass: expired upload sessions with their staged bytes (and
 * staging areas no session owns), then content that no entry or trash item
 * references, no live upload session will commit, and no commit has pinned.
 */
export async function collectGarbage(deps: GarbageDeps): Promise<Collected> {
  await deps.challenges.sweep();
  const sessions = await deps.uploads.collectExpired();
  const pass = deps.pins.beginPass();
  let blobs = 0;
  for (const contentHash of await deps.files.collectableContent(deps.now() - CONTENT_GRACE_MS)) {
    if (await deps.uploads.willCommit(contentHash)) continue;
    const removed = await deps.pins.collect(contentHash, pass, async () => {
      await deps.blobs.delete(contentHash);
      await deps.files.forgetContent(contentHash);
    });
    if (removed) blobs += 1;
  }
  deps.pins.endPass(pass);
  return { sessions, blobs };
}
