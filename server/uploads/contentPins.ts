/**
 * Keeps garbage collection off content that a commit is about to reference.
 * Collection lists unreferenced content, then deletes it; a commit landing in
 * between would point at a deleted blob (or keep a deleted copy instead of its
 * own staged one). So a commit pins its hashes while it runs, and collection
 * claims a hash before deleting it: a pinned hash is skipped, and a commit of
 * a claimed one waits until the deletion is done, then stores it anew.
 *
 * Two adapters: in this process on SQLite, where one process owns the
 * database (ProcessContentPins), and rows in the database on PostgreSQL, so
 * collection on one node spares what another node is committing
 * (PgContentPins).
 */
export interface ContentPins {
  /** Runs `work` with `hashes` pinned; first waits while any of them is being collected. */
  whilePinned<T>(hashes: readonly string[], work: () => Promise<T>): Promise<T>;
  /**
   * Runs `collect` with `contentHash` claimed, unless it is pinned now (then
   * false, `collect` not run). `collect` re-checks that the content is still
   * collectable (a commit may have referenced it since it was listed), deletes
   * it and says whether it did; commits of the hash wait until it settles.
   */
  collect(contentHash: string, collect: () => Promise<boolean>): Promise<boolean>;
  /** Drops what a crashed holder left behind (pins on PostgreSQL outlive their node until they expire). */
  sweep(): Promise<void>;
}

/** Content pins of this process: the service on SQLite, which one process serves. */
export class ProcessContentPins implements ContentPins {
  private readonly pinned = new Map<string, number>();
  /** Hashes being collected right now; a commit of one waits until it is gone. */
  private readonly collecting = new Map<string, Promise<void>>();

  async whilePinned<T>(hashes: readonly string[], work: () => Promise<T>): Promise<T> {
    const unique = [...new Set(hashes)];
    // Pinned only once none is being collected: all in one synchronous step after the last wait.
    for (let running = this.anyCollecting(unique); running; running = this.anyCollecting(unique)) await running;
    for (const hash of unique) this.pinned.set(hash, (this.pinned.get(hash) ?? 0) + 1);
    try {
      return await work();
    } finally {
      for (const hash of unique) {
        const count = (this.pinned.get(hash) ?? 1) - 1;
        if (count === 0) this.pinned.delete(hash);
        else this.pinned.set(hash, count);
      }
    }
  }

  async collect(contentHash: string, collect: () => Promise<boolean>): Promise<boolean> {
    if (this.pinned.has(contentHash) || this.collecting.has(contentHash)) return false;
    let done!: () => void;
    this.collecting.set(contentHash, new Promise<void>((resolve) => { done = resolve; }));
    try {
      return await collect();
    } finally {
      this.collecting.delete(contentHash);
      done();
    }
  }

  async sweep(): Promise<void> {}

  private anyCollecting(hashes: readonly string[]): Promise<void> | undefined {
    for (const hash of hashes) {
      const running = this.collecting.get(hash);
      if (running) return running;
    }
    return undefined;
  }
}
