import type { BlobStore } from '../blobs/blobStore.js';
import type { UploadSessionStore } from './sessionStore.js';

/** Written bytes of one upload that may wait for a flush; a crash re-sends at most this much. */
export const FLUSH_BYTES = 128 * 1024 * 1024;

interface Pending {
  /** Chunk index -> length, written to staging but not yet durable. */
  chunks: Map<number, number>;
  bytes: number;
  /** The last flush queued: flushes of one upload run one after another. */
  flushing: Promise<void>;
  /** Flushes queued and not yet done. */
  queued: number;
}

/**
 * Chunks written to staging but not yet durable. An fsync and a SQLite
 * commit per chunk kept a 1 GiB upload waiting on the disk ~40% of the time,
 * so chunk bytes go to the page cache and are made durable in batches: one
 * flush of the staging file per FLUSH_BYTES, and always before complete.
 * Only then are they marked received in the session store, in one
 * transaction. So a chunk the store lists is intact after any crash, and one
 * written but not yet flushed is not listed after a restart: the client sends
 * it again. A flush runs behind the chunks that follow, so the network and
 * the disk overlap (a chunk answer that waited for each flush stalled every
 * chunk in flight, leaving client and service ~50% idle); only once twice
 * FLUSH_BYTES wait does a chunk's answer wait for the disk, which bounds what
 * a crash can cost.
 */
export class PendingChunks {
  private readonly uploads = new Map<string, Pending>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly sessions: UploadSessionStore,
    private readonly flushBytes = FLUSH_BYTES,
  ) {}

  has(id: string, n: number): boolean {
    return this.uploads.get(id)?.chunks.has(n) ?? false;
  }

  list(id: string): number[] {
    return [...(this.uploads.get(id)?.chunks.keys() ?? [])];
  }

  /**
   * Records chunk `n` as written. Once enough bytes wait, a flush starts in
   * the background; once twice that wait, resolves only after they are durable.
   */
  async written(id: string, n: number, length: number): Promise<void> {
    let pending = this.uploads.get(id);
    if (!pending) {
      pending = { chunks: new Map(), bytes: 0, flushing: Promise.resolve(), queued: 0 };
      this.uploads.set(id, pending);
    }
    if (pending.chunks.has(n)) return;
    pending.chunks.set(n, length);
    pending.bytes += length;
    if (pending.bytes >= 2 * this.flushBytes) await this.flush(id);
    // A failed background flush leaves its chunks pending for the next flush, at the latest at complete.
    else if (pending.bytes >= this.flushBytes && pending.queued === 0) this.flush(id).catch(() => {});
  }

  /**
   * Makes every chunk written so far durable and marks it received. Chunks
   * written while the flush runs stay pending for the next one.
   */
  async flush(id: string): Promise<void> {
    const pending = this.uploads.get(id);
    if (!pending) return;
    pending.queued++;
    const run = pending.flushing.then(async () => {
      const batch = [...pending.chunks];
      if (batch.length === 0) return;
      await this.blobs.flushStaging(id);
      const alive = await this.sessions.markReceived(id, batch.map(([n]) => n));
      if (!alive) {
        this.forget(id);
        return;
      }
      for (const [n, length] of batch) {
        pending.chunks.delete(n);
        pending.bytes -= length;
      }
    });
    pending.flushing = run.catch(() => {});
    try {
      await run;
    } finally {
      pending.queued--;
    }
  }

  /**
   * Flushes every upload, for a clean shutdown: after a restart only the
   * chunks that were in flight are sent again. A failure leaves that
   * upload's chunks to be re-sent, which is all a crash would cost.
   */
  async flushAll(): Promise<void> {
    await Promise.all([...this.uploads.keys()].map((id) => this.flush(id).catch(() => {})));
  }

  /** Drops what is pending for an upload that ended (completed, aborted or expired). */
  forget(id: string): void {
    this.uploads.delete(id);
  }
}
