import { describe, expect, test } from 'vitest';
import { LoginThrottle } from './loginThrottle.js';
import { SlidingWindowLimiter } from './rateLimiter.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

describe('SlidingWindowLimiter', () => {
  test('refuses the hit past the limit until the oldest ages out', () => {
    const time = clock();
    const limiter = new SlidingWindowLimiter({ limit: 3, windowMs: 1000 }, time.now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs('k')).toBe(0);
      limiter.hit('k');
      time.advance(100);
    }
    // Hits at 0, 100, 200; now 300: the first leaves the window at 1000.
    expect(limiter.retryAfterMs('k')).toBe(700);
    expect(limiter.retryAfterMs('other')).toBe(0);
    time.advance(700);
    expect(limiter.retryAfterMs('k')).toBe(0);
  });

  test('forgiveOne takes back the latest hit and clear forgets the key', () => {
    const time = clock();
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 1000 }, time.now);
    limiter.hit('k');
    limiter.hit('k');
    expect(limiter.retryAfterMs('k')).toBeGreaterThan(0);
    limiter.forgiveOne('k');
    expect(limiter.retryAfterMs('k')).toBe(0);
    limiter.hit('k');
    limiter.clear('k');
    expect(limiter.retryAfterMs('k')).toBe(0);
  });
});

describe('LoginThrottle', () => {
  const rules = { perUsername: { limit: 2, windowMs: 60_000 }, perIp: { limit: 3, windowMs: 60_000 } };

  test('limits one username regardless of case, and one address across usernames', () => {
    const throttle = new LoginThrottle(rules, clock().now);
    expect(throttle.begin('1.1.1.1', 'Bob')).toBe(0);
    expect(throttle.begin('2.2.2.2', 'bob')).toBe(0);
    expect(throttle.begin('3.3.3.3', 'BOB')).toBe(60_000);
    // 1.1.1.1 has one attempt (Bob) so far; its limit is 3.
    expect(throttle.begin('1.1.1.1', 'carol')).toBe(0);
    expect(throttle.begin('1.1.1.1', 'dave')).toBe(0);
    expect(throttle.begin('1.1.1.1', 'frank')).toBe(60_000);
  });

  test('a refused attempt is not counted, a success takes its count back', () => {
    const time = clock();
    const throttle = new LoginThrottle(rules, time.now);
    expect(throttle.begin('ip', 'erin')).toBe(0);
    throttle.succeeded('ip', 'erin');
    expect(throttle.begin('ip', 'erin')).toBe(0);
    expect(throttle.begin('ip', 'erin')).toBe(0);
    expect(throttle.begin('ip', 'erin')).toBe(60_000);
    time.advance(60_000);
    expect(throttle.begin('ip', 'erin')).toBe(0);
  });
});
