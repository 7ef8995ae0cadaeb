/**
 * Keeps garbage collection off content that a commit is about to reference.
 * Collection lists unreferenced content, then deletes it; a commit landing in
 * between would point at a deleted blob. So a commit pins its hash while it
 * runs, and collection skips any hash pinned now or touched since its pass
 * began (the listing may predate that commit). One process only: a service
 * spread over several processes needs the same check in the database.
 */
export class ContentPins {
  private readonly pinned = new Map<string, number>();
  private readonly touchedAt = new Map<string, number>();
  /** Hashes being deleted right now; a commit of one waits until it is gone, then stores it anew. */
  private readonly collecting = new Map<string, Promise<void>>();
  private clock = 0;

  async whilePinned<T>(contentHash: string, work: () => Promise<T>): Promise<T> {
    for (let running = this.collecting.get(contentHash); running; running = this.collecting.get(contentHash)) await running;
    this.pinned.set(contentHash, (this.pinned.get(contentHash) ?? 0) + 1);
    this.touchedAt.set(contentHash, ++this.clock);
    try {
      return await work();
    } finally {
      const count = (this.pinned.get(contentHash) ?? 1) - 1;
      if (count === 0) this.pinned.delete(contentHash);
      else this.pinned.set(contentHash, count);
      this.touchedAt.set(contentHash, ++this.clock);
    }
  }

  /** Marks the start of a collection pass; pass the mark to `mayCollect`. */
  beginPass(): number {
    return ++this.clock;
  }

  mayCollect(contentHash: string, passMark: number): boolean {
    if (this.pinned.has(contentHash)) return false;
    return (this.touchedAt.get(contentHash) ?? 0) < passMark;
  }

  /**
   * Runs `remove` if `mayCollect` allows, holding off commits of the same
   * hash until it is done: the check and the deletion are one step, so a
   * commit never references content being deleted. False when skipped.
   */
  async collect(contentHash: string, passMark: number, remove: () => Promise<void>): Promise<boolean> {
    if (!this.mayCollect(contentHash, passMark)) return false;
    const running = remove();
    const settled = running.then(() => {}, () => {});
    this.collecting.set(contentHash, settled);
    try {
      await running;
    } finally {
      this.collecting.delete(contentHash);
    }
    return true;
  }

  /** Forgets touches older than the pass, which no later pass needs. */
  endPass(passMark: number): void {
    for (const [hash, at] of this.touchedAt) if (at < passMark && !this.pinned.has(hash)) this.touchedAt.delete(hash);
  }
}
