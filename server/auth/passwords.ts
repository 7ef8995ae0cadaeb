import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { ConcurrencyGate } from './concurrencyGate.js';

/** scrypt cost parameters (N: CPU/memory cost, a power of two; r: block size; p: parallelism). */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

const SCHEME = 'scrypt';
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuses stored strings asking for absurd work, so a tampered row cannot stall the service. */
const MAX_N = 2 ** 22;
const MAX_R = 64;
const MAX_P = 16;
/**
 * scrypt runs on libuv's pool (4 threads by default), which file I/O shares,
 * and each OWASP-cost hash holds 128 MiB: a burst of sign-ins must not take both.
 */
const DEFAULT_MAX_CONCURRENT = 2;

/** scrypt needs about 128·N·r bytes; node's default ceiling (32 MiB) is below OWASP's cost. */
function maxmemFor(cost: ScryptCost): number {
  return 128 * cost.N * cost.r + 128 * cost.r * cost.p + 1024 * 1024;
}

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...cost, maxmem: maxmemFor(cost) }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

export interface StoredPasswordHash {
  cost: ScryptCost;
  salt: Buffer;
  hash: Buffer;
}

function isPositiveInt(n: number, max: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && n <= max;
}

/** Reads `scrypt$N$r$p$salt$hash` (salt and hash base64url); throws on anything else. */
export function parseStoredHash(stored: string): StoredPasswordHash {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) throw new Error('unrecognised password hash format');
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!isPositiveInt(N, MAX_N) || (N & (N - 1)) !== 0 || N < 2 || !isPositiveInt(r, MAX_R) || !isPositiveInt(p, MAX_P)) {
    throw new Error('password hash parameters out of range');
  }
  const salt = Buffer.from(parts[4]!, 'base64url');
  const hash = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < SALT_BYTES || hash.length !== KEY_BYTES) throw new Error('password hash salt or digest has the wrong length');
  return { cost: { N, r, p }, salt, hash };
}

/**
 * Hashes and verifies passwords with scrypt on libuv's thread pool. The stored
 * string names its own parameters, so raising the configured cost keeps old
 * hashes verifiable.
 */
export class PasswordHasher {
  private dummy: Promise<string> | undefined;
  private readonly gate: ConcurrencyGate;

  constructor(private readonly cost: ScryptCost, maxConcurrent = DEFAULT_MAX_CONCURRENT) {
    this.gate = new ConcurrencyGate(maxConcurrent);
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.gate.run(() => derive(password, salt, this.cost));
    const { N, r, p } = this.cost;
    return [SCHEME, N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const { cost, salt, hash } = parseStoredHash(stored);
    const key = await this.gate.run(() => derive(password, salt, cost));
    return timingSafeEqual(key, hash);
  }

  /** True when `stored` was made with another cost than the configured one: rehash it at the next sign-in. */
  needsRehash(stored: string): boolean {
    const { N, r, p } = parseStoredHash(stored).cost;
    return N !== this.cost.N || r !== this.cost.r || p !== this.cost.p;
  }

  /**
   * Spends the same work as a real verification and fails, so "no such user"
   * takes as long as "wrong password" and the answer time reveals nothing.
   */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(16).toString('base64url'));
    await this.verify(password, await this.dummy);
    return false;
  }
}
