import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../base/backoff.js';
import { RateMeter } from '../base/rateMeter.js';
import { TokenBucket } from './tokenBucket.js';

/** A clock whose sleeps advance time instantly and are recorded. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

describe('backoff', () => {
  it('grows exponentially up to the cap, with jitter below the ceiling', () => {
    const policy = { baseMs: 100, maxMs: 1000, maxAttempts: 10 };
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(99);
    expect(backoffDelay(policy, 3, () => 0.999)).toBe(399);
    expect(backoffDelay(policy, 10, () => 0.999)).toBe(999);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
    expect(DEFAULT_BACKOFF.maxAttempts).toBeGreaterThan(1);
  });
});

describe('token bucket', () => {
  it('lets 5 s worth of bytes through in about 4 s of waiting after the initial burst', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1000, clock);
    for (let i = 0; i < 50; i++) await bucket.take(100);
    const waited = clock.slept.reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual(3990);
    expect(waited).toBeLessThanOrEqual(4010);
  });

  it('never waits when unlimited', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(0, clock);
    await bucket.take(10 ** 9);
    expect(clock.slept).toEqual([]);
  });

  it('pays a request larger than the burst in slices', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100, clock);
    await bucket.take(1000);
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(9000);
  });

  it('stops waiting when aborted', async () => {
    const bucket = new TokenBucket(1, { now: Date.now, sleep: (_ms, signal) => new Promise((_r, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')))) });
    const controller = new AbortController();
    const taking = bucket.take(100, controller.signal);
    controller.abort();
    await expect(taking).rejects.toThrow('aborted');
  });
});

describe('rate meter', () => {
  it('reports the rate over closed windows and an ETA', () => {
    let t = 0;
    const meter = new RateMeter(() => t);
    expect(meter.rate).toBe(0);
    expect(meter.eta(100)).toBeNull();
    meter.add(5000);
    t = 1000;
    expect(meter.rate).toBe(5000);
    expect(meter.eta(10_000)).toBe(2);
    expect(meter.eta(0)).toBe(0);
  });
});
