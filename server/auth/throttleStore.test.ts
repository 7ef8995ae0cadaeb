import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openTestMetadata, type TestMetadata } from '../../test/helpers/testMetadata.js';
import { addressKey } from './clientAddress.js';
import { LoginThrottle } from './loginThrottle.js';
import type { DelayLimit, Limit, ThrottleStore } from './throttleStore.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

let db: TestMetadata;
let store: ThrottleStore;
let keys = 0;
/** A key no other test counted against. */
const fresh = (name: string): string => `${name}-${++keys}`;

beforeAll(async () => {
  db = await openTestMetadata();
  store = db.metadata.throttles;
});
afterAll(async () => {
  await db.close();
});

describe('a sliding window', () => {
  test('refuses the attempt past the limit, counting nothing, until the oldest hit ages out', async () => {
    const time = clock();
    const window: Limit = { kind: 'window', key: fresh('k'), rule: { limit: 3, windowMs: 1000 } };
    for (let i = 0; i < 3; i++) {
      expect(await store.attempt([window], time.now())).toBe(0);
      time.advance(100);
    }
    // Hits at 0, 100, 200; now 300: the first leaves the window at 1000.
    expect(await store.attempt([window], time.now())).toBe(700);
    expect(await store.waitFor([window], time.now())).toBe(700);
    expect(await store.attempt([{ ...window, key: fresh('other') }], time.now())).toBe(0);
    time.advance(700);
    expect(await store.attempt([window], time.now())).toBe(0);
  });

  test('forgiveOne takes back the latest hit', async () => {
    const window: Limit = { kind: 'window', key: fresh('k'), rule: { limit: 2, windowMs: 1000 } };
    expect(await store.attempt([window], 0)).toBe(0);
    expect(await store.attempt([window], 1)).toBe(0);
    expect(await store.waitFor([window], 2)).toBeGreaterThan(0);
    await store.forgiveOne(window.key);
    expect(await store.attempt([window], 2)).toBe(0);
    // Hits at 0 and 2: the one at 0 leaves the window at 1000.
    expect(await store.waitFor([window], 3)).toBe(997);
  });

  test('sweep drops hits that no longer count, and keeps the rest', async () => {
    const window: Limit = { kind: 'window', key: fresh('k'), rule: { limit: 2, windowMs: 1000 } };
    await store.attempt([window], 0);
    await store.attempt([window], 500);
    const rows = async () => Number((await db.query('SELECT COUNT(*) AS n FROM throttle_hits WHERE key = ?', [window.key]))[0]!.n);
    expect(await rows()).toBe(2);
    await store.sweep(1200);
    expect(await rows()).toBe(1);
    expect(await store.waitFor([window], 1200)).toBe(0);
    expect(await store.attempt([window], 1200)).toBe(0);
    // The hit at 500 survived the sweep: with the one at 1200 the window is full.
    expect(await store.waitFor([window], 1300)).toBe(200);
  });
});

describe('a growing delay', () => {
  const rule = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 5000, forgetAfterMs: 60_000 };

  test('free failures, then waits that double up to the cap; a quiet key starts over', async () => {
    const time = clock();
    const delay: DelayLimit = { kind: 'delay', key: fresh('k'), rule };
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      await store.fail(delay, time.now());
      const wait = await store.waitFor([delay], time.now());
      waits.push(wait);
      time.advance(wait);
    }
    expect(waits).toEqual([0, 1000, 2000, 4000, 5000, 5000]);
    expect(await store.waitFor([{ ...delay, key: fresh('other') }], time.now())).toBe(0);
    time.advance(60_000);
    await store.fail(delay, time.now());
    expect(await store.waitFor([delay], time.now())).toBe(0);
    await store.fail(delay, time.now());
    expect(await store.waitFor([delay], time.now())).toBe(1000);
    await store.clearFailures(delay.key);
    expect(await store.waitFor([delay], time.now())).toBe(0);
  });
});

describe('every handle on the database counts the same attempts (on PostgreSQL: every node)', () => {
  test('attempts spread over two handles meet one limit, even when they race', async () => {
    const other = (await db.open()).throttles;
    const window: Limit = { kind: 'window', key: fresh('shared'), rule: { limit: 4, windowMs: 60_000 } };
    const waits = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).attempt([window], 1000 + i)));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(4);
    const delay: DelayLimit = { kind: 'delay', key: fresh('shared'), rule: { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 60_000 } };
    await Promise.all([store.fail(delay, 2000), other.fail(delay, 2000), store.fail(delay, 2000), other.fail(delay, 2000)]);
    // Four failures from both handles: past the free three, the second wait (2 × 1000 ms).
    expect(await other.waitFor([delay], 2000)).toBe(2000);
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
  /** Each test signs in as its own users from its own addresses: the store is shared. */
  const user = (name: string) => `${name}-${++keys}`;

  test("one address's guesses slow that address down for that username, never the owner elsewhere", async () => {
    const throttle = new LoginThrottle(store, rules, clock().now);
    const bob = user('Bob');
    expect(await throttle.begin('1.1.1.1', bob)).toBe(0);
    expect(await throttle.begin('1.1.1.1', bob.toLowerCase())).toBe(0);
    expect(await throttle.begin('1.1.1.1', bob.toUpperCase())).toBe(1000);
    expect(await throttle.begin('2.2.2.2', bob)).toBe(0);
    // Another host in the same IPv6 /64 is the same party.
    const carol = user('carol');
    expect(await throttle.begin('2001:db8::1', carol)).toBe(0);
    expect(await throttle.begin('2001:db8::2', carol)).toBe(0);
    expect(await throttle.begin('2001:db8::3', carol)).toBe(1000);
    expect(await throttle.begin('2001:db8:0:1::3', carol)).toBe(0);
  });

  test('one address spraying many usernames is capped across them', async () => {
    const throttle = new LoginThrottle(store, rules, clock().now);
    for (const name of ['a', 'b', 'c', 'd']) expect(await throttle.begin('3.3.3.3', user(name))).toBe(0);
    const e = user('e');
    expect(await throttle.begin('3.3.3.3', e)).toBe(60_000);
    expect(await throttle.begin('4.4.4.4', e)).toBe(0);
  });

  test('a refused attempt is not counted, a success takes its count back', async () => {
    const time = clock();
    const throttle = new LoginThrottle(store, rules, time.now);
    const erin = user('erin');
    expect(await throttle.begin('5.5.5.5', erin)).toBe(0);
    await throttle.succeeded('5.5.5.5', erin);
    expect(await throttle.begin('5.5.5.5', erin)).toBe(0);
    expect(await throttle.begin('5.5.5.5', erin)).toBe(0);
    expect(await throttle.begin('5.5.5.5', erin)).toBe(1000);
    expect(await throttle.begin('5.5.5.5', erin)).toBe(1000);
    time.advance(1000);
    expect(await throttle.begin('5.5.5.5', erin)).toBe(0);
    expect(await throttle.begin('5.5.5.5', erin)).toBe(2000);
  });
});
