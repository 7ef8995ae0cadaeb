import { addressKey } from './clientAddress.js';
import type { GrowingDelayRule, Limit, ThrottleStore, WindowRule } from './throttleStore.js';

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
 * address, in the database (every node counts the same tries). An attempt is
 * counted before the password is checked, so a burst of parallel guesses
 * cannot all slip in before the first failure is recorded; a success takes
 * its count back.
 */
export class LoginThrottle {
  constructor(private readonly store: ThrottleStore, private readonly rules: LoginThrottleRules, private readonly now: () => number) {}

  /** Resolves to 0 once the attempt is counted, or to the milliseconds to wait (nothing counted). */
  begin(ip: string, username: string): Promise<number> {
    const { address, pair } = keys(ip, username);
    const limits: Limit[] = [
      { kind: 'delay', key: pair, rule: this.rules.perAddressAndUsername },
      { kind: 'window', key: address, rule: this.rules.perAddress },
    ];
    return this.store.attempt(limits, this.now());
  }

  async succeeded(ip: string, username: string): Promise<void> {
    const { address, pair } = keys(ip, username);
    await this.store.clearFailures(pair);
    await this.store.forgiveOne(address);
  }
}

function keys(ip: string, username: string): { address: string; pair: string } {
  const address = addressKey(ip);
  return { address: `login-address:${address}`, pair: `login-pair:${address}\n${username.toLowerCase()}` };
}

/** Registrations per client address, in the database like the sign-in throttle. */
export class RegistrationThrottle {
  constructor(private readonly store: ThrottleStore, private readonly rule: WindowRule, private readonly now: () => number) {}

  /** Resolves to 0 once the registration is counted, or to the milliseconds to wait. */
  begin(ip: string): Promise<number> {
    return this.store.attempt([{ kind: 'window', key: `register:${addressKey(ip)}`, rule: this.rule }], this.now());
  }
}
