export interface GrowingDelayRule {
  /** Failures allowed before any wait. */
  freeFailures: number;
  /** The wait after the first failure past the free ones; each further failure doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A key with no failure for this long starts over. */
  forgetAfterMs: number;
}

/** Keys tracked before a sweep drops the forgotten ones. */
const SWEEP_THRESHOLD = 10_000;

/**
 * Failure counts per key with waits that double after each failure past the
 * free ones: guessing slows down exponentially, a typo or two costs nothing.
 * In memory; the clock is injected so tests move time instead of sleeping.
 */
export class GrowingDelay {
  private readonly failures = new Map<string, { count: number; lastAt: number }>();

  constructor(private readonly rule: GrowingDelayRule, private readonly now: () => number) {}

  /** 0 when `key` may try now; otherwise how long it must wait. */
  retryAfterMs(key: string): number {
    const entry = this.current(key);
    if (!entry || entry.count < this.rule.freeFailures) return 0;
    const delay = Math.min(this.rule.maxDelayMs, this.rule.baseDelayMs * 2 ** (entry.count - this.rule.freeFailures));
    return Math.max(0, entry.lastAt + delay - this.now());
  }

  fail(key: string): void {
    if (this.failures.size >= SWEEP_THRESHOLD) this.sweep();
    this.failures.set(key, { count: (this.current(key)?.count ?? 0) + 1, lastAt: this.now() });
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  private current(key: string): { count: number; lastAt: number } | undefined {
    const entry = this.failures.get(key);
    return entry && entry.lastAt + this.rule.forgetAfterMs > this.now() ? entry : undefined;
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) if (!this.current(key)) this.failures.delete(key);
  }
}
