import { addressKey } from './clientAddress.js';
import { GrowingDelay, type GrowingDelayRule } from './growingDelay.js';
import { SlidingWindowLimiter, type WindowRule } from './rateLimiter.js';

export interface LoginThrottleRules {
  /** Failures of one username from one address: growing waits, for that address only. */
  perAddressAndUsername: GrowingDelayRule;
  /** Failures from one address across all usernames (one address spraying many accounts). */
  perAddress: WindowRule;
}

const MINUTE = 60 * 1000;

/**
 * Five free tries, then 1 s, 2 s, 4 s … up to 15 minutes between guesses from
 * that address. The owner signing in from another address is never slowed by
 * them: no count is kept per username alone, so nobody can lock an account out.
 */
export const DEFAULT_LOGIN_RULES: LoginThrottleRules = {
  perAddressAndUsername: { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 15 * MINUTE, forgetAfterMs: 24 * 60 * MINUTE },
  perAddress: { limit: 100, windowMs: 15 * MINUTE },
};

/**
 * Counts failed sign-ins per (client address, username) and per client
 * address. An attempt is counted before the password is checked, so a burst
 * of parallel guesses cannot all slip in before the first failure is
 * recorded; a success takes its count back.
 */
export class LoginThrottle {
  private readonly byPair: GrowingDelay;
  private readonly byAddress: SlidingWindowLimiter;

  constructor(rules: LoginThrottleRules, now: () => number) {
    this.byPair = new GrowingDelay(rules.perAddressAndUsername, now);
    this.byAddress = new SlidingWindowLimiter(rules.perAddress, now);
  }

  /** Returns 0 and counts the attempt, or the milliseconds to wait (nothing counted). */
  begin(ip: string, username: string): number {
    const address = addressKey(ip);
    const pair = `${address}\n${username.toLowerCase()}`;
    const wait = Math.max(this.byPair.retryAfterMs(pair), this.byAddress.retryAfterMs(address));
    if (wait > 0) return wait;
    this.byPair.fail(pair);
    this.byAddress.hit(address);
    return 0;
  }

  succeeded(ip: string, username: string): void {
    const address = addressKey(ip);
    this.byPair.clear(`${address}\n${username.toLowerCase()}`);
    this.byAddress.forgiveOne(address);
  }
}
