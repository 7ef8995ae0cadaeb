import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestMetadata, type TestMetadata } from '../../test/helpers/testMetadata.js';
import { ShareCodeThrottle } from './codeThrottle.js';

describe('ShareCodeThrottle', () => {
  const rules = { perLink: { limit: 100, windowMs: 60_000 }, perIp: { limit: 3, windowMs: 60_000 } };
  let db: TestMetadata;

  beforeAll(async () => {
    db = await openTestMetadata();
  });
  afterAll(async () => {
    await db.close();
  });

  it('counts an IPv6 client per /64, so rotating addresses within it gains no guesses', async () => {
    const throttle = new ShareCodeThrottle(db.metadata.throttles, rules, () => 0);
    for (const host of ['1', '2', '3']) expect(await throttle.begin(`2001:db8:1:2::${host}`, `link-${host}`)).toBe(0);
    expect(await throttle.begin('2001:db8:1:2::ffff', 'link-4')).toBeGreaterThan(0);
    expect(await throttle.begin('2001:db8:1:3::1', 'link-4')).toBe(0);
  });

  it('a right code takes its attempt back for the address it came from', async () => {
    const throttle = new ShareCodeThrottle(db.metadata.throttles, rules, () => 0);
    for (let i = 0; i < 3; i += 1) expect(await throttle.begin('2001:db8::1', 'a')).toBe(0);
    await throttle.succeeded('2001:db8::2', 'a');
    expect(await throttle.begin('2001:db8::3', 'a')).toBe(0);
  });
});
