import { describe, expect, test } from 'vitest';
import { parseStoredHash, PasswordHasher } from './passwords.js';

const cheap = { N: 2 ** 10, r: 8, p: 1 };

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(cheap);

  test('a hash verifies its own password and no other', async () => {
    const stored = await hasher.hash('hunter2 hunter2');
    expect(await hasher.verify('hunter2 hunter2', stored)).toBe(true);
    expect(await hasher.verify('hunter2 hunter3', stored)).toBe(false);
  });

  test('the stored string names its parameters and salts every hash', async () => {
    const first = await hasher.hash('same password');
    const second = await hasher.hash('same password');
    expect(first).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(first).not.toContain('same password');
    expect(first).not.toBe(second);
    expect(parseStoredHash(first).salt.length).toBe(16);
  });

  test('verification uses the stored cost, not the configured one', async () => {
    const stored = await new PasswordHasher({ N: 2 ** 11, r: 4, p: 2 }).hash('pw with old cost');
    expect(parseStoredHash(stored).cost).toEqual({ N: 2 ** 11, r: 4, p: 2 });
    expect(await hasher.verify('pw with old cost', stored)).toBe(true);
  });

  test('OWASP cost (N=2^17, r=8) runs within the raised memory ceiling', async () => {
    const owasp = new PasswordHasher({ N: 2 ** 17, r: 8, p: 1 });
    expect(await owasp.verify('strong', await owasp.hash('strong'))).toBe(true);
  });

  test('canonically equivalent Unicode passwords match', async () => {
    const stored = await hasher.hash('caf\u00e9 au lait');
    expect(await hasher.verify('cafe\u0301 au lait', stored)).toBe(true);
  });

  test('verifyNothing always fails', async () => {
    expect(await hasher.verifyNothing('anything')).toBe(false);
  });

  test.each([
    ['not a hash'],
    ['bcrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA'],
    ['scrypt$1000$8$1$c2FsdHNhbHRzYWx0c2FsdA$' + 'A'.repeat(43)],
    ['scrypt$1073741824$8$1$c2FsdHNhbHRzYWx0c2FsdA$' + 'A'.repeat(43)],
    ['scrypt$1024$8$1$c2FsdA$' + 'A'.repeat(43)],
    ['scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA'],
  ])('refuses a malformed or absurd stored string: %s', (stored) => {
    expect(() => parseStoredHash(stored)).toThrow();
  });
});

test('parallel hashes all complete through the concurrency limit', async () => {
  const hasher = new PasswordHasher(cheap, 1);
  const stored = await Promise.all(['a', 'b', 'c', 'd'].map((pw) => hasher.hash(`password ${pw}`)));
  expect(await Promise.all(stored.map((s, i) => hasher.verify(`password ${'abcd'[i]}`, s)))).toEqual([true, true, true, true]);
});

test('needsRehash tells a hash made at another cost from one at the configured cost', async () => {
  const hasher = new PasswordHasher(cheap);
  expect(hasher.needsRehash(await hasher.hash('pw'))).toBe(false);
  expect(hasher.needsRehash(await new PasswordHasher({ ...cheap, N: 2 ** 11 }).hash('pw'))).toBe(true);
});
