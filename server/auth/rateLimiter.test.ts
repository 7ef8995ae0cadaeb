import { describe, expect, test } from 'vitest';
import { addressKey } from './clientAddress.js';
import { GrowingDelay } from './growingDelay.js';
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

describe('GrowingDelay', () => {
  const rule = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 5000, forgetAfterMs: 60_000 };

  test('free failures, then waits that double up to the cap; a quiet key starts over', () => {
    const time = clock();
    const delay = new GrowingDelay(rule, time.now);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      delay.fail('k');
      waits.push(delay.retryAfterMs('k'));
      time.advance(delay.retryAfterMs('k'));
    }
    expect(waits).toEqual([0, 1000, 2000, 4000, 5000, 5000]);
    expect(delay.retryAfterMs('other')).toBe(0);
    time.advance(60_000);
    delay.fail('k');
    expect(delay.retryAfterMs('k')).toBe(0);
    delay.clear('k');
    expect(delay.retryAfterMs('k')).toBe(0);
  });
});

describe('addressKey', () => {
  test.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::7', '2001:db8:1:2::/64'],
    ['2001:0db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s -> %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });
});

describe('LoginThrottle', () => {
  const rules = {
    perAddressAndUsername: { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 3_600_000 },
    perAddress: { limit: 4, windowMs: 60_000 },
  };

  test("one address's guesses slow that address down for that username, never the owner elsewhere", () => {
    const throttle = new LoginThrottle(rules, clock().now);
    expect(throttle.begin('1.1.1.1', 'Bob')).toBe(0);
    expect(throttle.begin('1.1.1.1', 'bob')).toBe(0);
    expect(throttle.begin('1.1.1.1', 'BOB')).toBe(1000);
    expect(throttle.begin('2.2.2.2', 'bob')).toBe(0);
    // Another host in the same IPv6 /64 is the same party.
    expect(throttle.begin('2001:db8::1', 'carol')).toBe(0);
    expect(throttle.begin('2001:db8::2', 'carol')).toBe(0);
    expect(throttle.begin('2001:db8::3', 'carol')).toBe(1000);
    expect(throttle.begin('2001:db8:0:1::3', 'carol')).toBe(0);
  });

  test('one address spraying many usernames is capped across them', () => {
    const throttle = new LoginThrottle(rules, clock().now);
    for (const name of ['a', 'b', 'c', 'd']) expect(throttle.begin('3.3.3.3', name)).toBe(0);
    expect(throttle.begin('3.3.3.3', 'e')).toBe(60_000);
    expect(throttle.begin('4.4.4.4', 'e')).toBe(0);
  });

  test('a refused attempt is not counted, a success takes its count back', () => {
    const time = clock();
    const throttle = new LoginThrottle(rules, time.now);
    expect(throttle.begin('ip', 'erin')).toBe(0);
    throttle.succeeded('ip', 'erin');
    expect(throttle.begin('ip', 'erin')).toBe(0);
    expect(throttle.begin('ip', 'erin')).toBe(0);
    expect(throttle.begin('ip', 'erin')).toBe(1000);
    expect(throttle.begin('ip', 'erin')).toBe(1000);
    time.advance(1000);
    expect(throttle.begin('ip', 'erin')).toBe(0);
    expect(throttle.begin('ip', 'erin')).toBe(2000);
  });
});
