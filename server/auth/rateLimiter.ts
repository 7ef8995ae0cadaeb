export interface WindowRule {
  /** Hits allowed within the window; the next one is refused. */
  limit: number;
  windowMs: number;
}

/** Keys tracked before a sweep drops the ones whose hits have all aged out. */
const SWEEP_THRESHOLD = 10_000;

/**
 * A sliding-window counter per key, in memory. The clock is injected so tests
 * can move time instead of sleeping.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly rule: WindowRule, private readonly now: () => number) {}

  /** 0 when `key` may proceed; otherwise how long until its oldest counted hit ages out. */
  retryAfterMs(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.rule.limit) return 0;
    return recent[recent.length - this.rule.limit]! + this.rule.windowMs - this.now();
  }

  hit(key: string): void {
    if (this.hits.size >= SWEEP_THRESHOLD) this.sweep();
    this.hits.set(key, [...this.recent(key), this.now()]);
  }

  /** Takes back the latest hit, e.g. an attempt counted up front that turned out fine. */
  forgiveOne(key: string): void {
    const recent = this.recent(key);
    recent.pop();
    if (recent.length === 0) this.hits.delete(key);
    else this.hits.set(key, recent);
  }

  clear(key: string): void {
    this.hits.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.rule.windowMs;
    return (this.hits.get(key) ?? []).filter((at) => at > since);
  }

  private sweep(): void {
    for (const key of [...this.hits.keys()]) {
      if (this.recent(key).length === 0) this.hits.delete(key);
    }
  }
}
