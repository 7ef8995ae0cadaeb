import { SlidingWindowLimiter, type WindowRule } from './rateLimiter.js';

export interface LoginThrottleRules {
  perUsername: WindowRule;
  perIp: WindowRule;
}

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/** Guessing one account is slowed hard; one address trying many accounts a little less. */
export const DEFAULT_LOGIN_RULES: LoginThrottleRules = {
  perUsername: { limit: 10, windowMs: FIFTEEN_MINUTES },
  perIp: { limit: 50, windowMs: FIFTEEN_MINUTES },
};

/**
 * Counts failed sign-ins per username and per client address. An attempt is
 * counted before the password is checked, so a burst of parallel guesses
 * cannot all slip in before the first failure is recorded; a success takes
 * its count back.
 */
export class LoginThrottle {
  private readonly byUsername: SlidingWindowLimiter;
  private readonly byIp: SlidingWindowLimiter;

  constructor(rules: LoginThrottleRules, now: () => number) {
    this.byUsername = new SlidingWindowLimiter(rules.perUsername, now);
    this.byIp = new SlidingWindowLimiter(rules.perIp, now);
  }

  /** Returns 0 and counts the attempt, or the milliseconds to wait (nothing counted). */
  begin(ip: string, username: string): number {
    const user = username.toLowerCase();
    const wait = Math.max(this.byUsername.retryAfterMs(user), this.byIp.retryAfterMs(ip));
    if (wait > 0) return wait;
    this.byUsername.hit(user);
    this.byIp.hit(ip);
    return 0;
  }

  succeeded(ip: string, username: string): void {
    this.byUsername.clear(username.toLowerCase());
    this.byIp.forgiveOne(ip);
  }
}
