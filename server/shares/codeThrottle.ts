import { addressKey } from '../auth/clientAddress.js';
import type { ThrottleStore, WindowRule } from '../auth/throttleStore.js';

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
 * Counts extraction-code attempts per link and per client address, in the
 * database (every node counts the same tries). An attempt is counted before
 * the code is checked, so parallel guesses cannot slip in together; a right
 * code takes its count back.
 */
export class ShareCodeThrottle {
  constructor(private readonly store: ThrottleStore, private readonly rules: ShareCodeRules, private readonly now: () => number) {}

  /** Resolves to 0 once the attempt is counted, or to the milliseconds to wait (nothing counted). */
  begin(ip: string, shareId: string): Promise<number> {
    const { link, address } = keys(ip, shareId);
    return this.store.attempt([
      { kind: 'window', key: link, rule: this.rules.perLink },
      { kind: 'window', key: address, rule: this.rules.perIp },
    ], this.now());
  }

  async succeeded(ip: string, shareId: string): Promise<void> {
    const { link, address } = keys(ip, shareId);
    await this.store.forgiveOne(link);
    await this.store.forgiveOne(address);
  }
}

/** Like sign-in, an IPv6 client counts per /64: one host holds a whole /64 to rotate through. */
function keys(ip: string, shareId: string): { link: string; address: string } {
  return { link: `share-link:${shareId}`, address: `share-address:${addressKey(ip)}` };
}
