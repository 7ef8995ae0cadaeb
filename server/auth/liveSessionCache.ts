/**
 * How long a session found live is trusted without asking the database again.
 * A revocation in this process clears its entry at once; one made by another
 * process sharing the database is seen within this bound.
 */
export const LIVE_SESSION_CACHE_MS = 5_000;
/** Entries kept before the cache is emptied: it only ever saves work, never decides. */
const MAX_ENTRIES = 10_000;

/** Remembers, briefly, which (user, session) pairs were found live, so each request need not query. */
export class LiveSessionCache {
  private readonly confirmed = new Map<string, { userId: string; until: number }>();

  constructor(private readonly now: () => number, private readonly ttlMs = LIVE_SESSION_CACHE_MS) {}

  /** True when `lookup` (or a recent answer of it) says the session is live. Only "live" is cached. */
  async isLive(userId: string, sessionId: string, lookup: () => Promise<boolean>): Promise<boolean> {
    const at = this.now();
    const cached = this.confirmed.get(sessionId);
    if (cached && cached.userId === userId && cached.until > at) return true;
    if (!(await lookup())) {
      this.confirmed.delete(sessionId);
      return false;
    }
    if (this.confirmed.size >= MAX_ENTRIES) this.confirmed.clear();
    this.confirmed.set(sessionId, { userId, until: at + this.ttlMs });
    return true;
  }

  forget(sessionId: string): void {
    this.confirmed.delete(sessionId);
  }

  clear(): void {
    this.confirmed.clear();
  }
}
