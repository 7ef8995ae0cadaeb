/**
 * Exponential backoff with full jitter (AWS architecture blog's recommended
 * variant): spreads retries of many clients after an outage instead of
 * synchronising them.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts in total, the first included. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 60_000, maxAttempts: 8 };

/** Delay before attempt `attempt` (1 = the first retry). `random` in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
