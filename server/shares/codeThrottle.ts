import { addressKey } from '../auth/clientAddress.js';
import { SlidingWindowLimiter, type WindowRule } from '../auth/rateLimiter.js';

export interface ShareCodeRules {
  perLink: WindowRule;
  perIp: WindowRule;
}

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/**
 * A 4-character code has about a million values: guessing one link is
 * stopped after a few tries, one address sweeping many links soon after.
 */
export const DEFAULT_SHARE_CODE_RULES: ShareCodeRules = {
  perLink: { limit: 10, windowMs: FIFTEEN_MINUTES },
  perIp: { limit: 30, windowMs: FIFTEEN_MINUTES },
};

/**
 * Counts extraction-code attempts per link and per client address. An
 * attempt is counted before the code is checked, so parallel guesses cannot
 * slip in together; a right code takes its count back.
 */
export class ShareCodeThrottle {
  private readonly byLink: SlidingWindowLimiter;
  private readonly byIp: SlidingWindowLimiter;

  constructor(rules: ShareCodeRules, now: () => number) {
    this.byLink = new SlidingWindowLimiter(rules.perLink, now);
    this.byIp = new SlidingWindowLimiter(rules.perIp, now);
  }

  /** Returns 0 and counts the attempt, or the milliseconds to wait (nothing counted). */
  begin(ip: string, shareId: string): number {
    // Like sign-in, an IPv6 client counts per /64: one host holds a whole /64 to rotate through.
    const address = addressKey(ip);
    const wait = Math.max(this.byLink.retryAfterMs(shareId), this.byIp.retryAfterMs(address));
    if (wait > 0) return wait;
    this.byLink.hit(shareId);
    this.byIp.hit(address);
    return 0;
  }

  succeeded(ip: string, shareId: string): void {
    this.byLink.forgiveOne(shareId);
    this.byIp.forgiveOne(addressKey(ip));
  }
}
