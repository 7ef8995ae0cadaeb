import { randomUUID } from 'node:crypto';
import type { BlobStore } from '../blobs/blobStore.js';
import { BlockVerifier } from './blockVerifier.js';
import { chunkBlockHashes, chunkLength, chunkOffset } from './chunkGeometry.js';
import type { UploadSession, UploadSessionStore } from './sessionStore.js';

/** Written bytes of one upload that may wait for a flush; a crash re-sends at most this much. */
export const FLUSH_BYTES = 128 * 1024 * 1024;

interface Pending {
  /** Chunk index -> length, written to staging by this process but not yet durable. */
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
 * transaction. So a chunk the store lists as received is intact after any
 * crash. A flush runs behind the chunks that follow, so the network and the
 * disk overlap (a chunk answer that waited for each flush stalled every
 * chunk in flight, leaving client and service ~50% idle); only once twice
 * FLUSH_BYTES wait does a chunk's answer wait for the disk, which bounds what
 * a crash can cost.
 *
 * Until then a chunk is recorded as written by this process
 * (`UploadSessionStore.markWritten`): clients are told they need not send it
 * again, and on PostgreSQL every node sees it, so the chunks of one upload
 * may go to different nodes and any of them completes it. Completing checks
 * the chunks other processes left written (`settle`): it reads them back
 * from the store, since the process that wrote one may have died with its
 * machine before flushing it.
 */
export class PendingChunks {
  private readonly uploads = new Map<string, Pending>();
  /** Names this process on the chunks it wrote: those it flushes itself, and trusts without reading back. */
  private readonly writer = randomUUID();

  constructor(
    private readonly blobs: BlobStore,
    private readonly sessions: UploadSessionStore,
    private readonly flushBytes = FLUSH_BYTES,
  ) {}

  /** Chunks written and not yet durable, by this process or (on a shared database) another. */
  async list(id: string): Promise<number[]> {
    return (await this.sessions.written(id)).map(({ n }) => n);
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
    await this.sessions.markWritten(id, n, this.writer);
    if (pending.bytes >= 2 * this.flushBytes) await this.flush(id);
    // A failed background flush leaves its chunks pending for the next flush, at the latest at complete.
    else if (pending.bytes >= this.flushBytes && pending.queued === 0) this.flush(id).catch(() => {});
  }

  /**
   * Makes every chunk this process wrote so far durable and marks it
   * received. Chunks written while the flush runs stay pending for the next one.
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
   * Before complete: this process's chunks are flushed, and those other
   * processes wrote and left undurable are confirmed by the store (flushed,
   * read back and verified). The intact ones are marked received; the rest
   * are forgotten, and the client sends them again after `upload_incomplete`.
   */
  async settle(session: UploadSession): Promise<void> {
    await this.flush(session.id);
    const others = (await this.sessions.written(session.id)).filter(({ writer }) => writer !== this.writer).map(({ n }) => n);
    if (others.length === 0) return;
    const intact = await this.blobs.confirmStaged(session.id, others.map((n) => ({
      n,
      offset: chunkOffset(session, n),
      length: chunkLength(session, n),
      verifier: new BlockVerifier(chunkBlockHashes(session, session.blockHashes, n), n),
    })));
    if (intact.length > 0) await this.sessions.markReceived(session.id, intact);
    const lost = others.filter((n) => !intact.includes(n));
    if (lost.length > 0) await this.sessions.dropWritten(session.id, lost);
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
