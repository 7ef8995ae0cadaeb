import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { SHARE_CODE_LENGTH } from '../../protocol/shares.js';

/** 16 random bytes (128 bits) as base64url: 22 characters nobody can guess. */
export function newShareId(): string {
  return randomBytes(16).toString('base64url');
}

/** Generated codes avoid look-alikes (0/o, 1/l/i) so a code read aloud or copied by hand still works. */
const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function newShareCode(): string {
  let code = '';
  for (let i = 0; i < SHARE_CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** Codes are case-insensitive (people retype them). */
export function normalizeCode(code: string): string {
  return code.toLowerCase();
}

/**
 * Compares an offered code with the link's in constant time: both are hashed
 * first, so neither the bytes nor the length of the offer change the timing.
 */
export function codeMatches(offered: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(normalizeCode(value)).digest();
  return timingSafeEqual(digest(offered), digest(expected));
}

/** The key each link signs its access tokens with. */
export function newTokenKey(): Buffer {
  return randomBytes(32);
}

function signature(key: Buffer, shareId: string, expiresAt: number): Buffer {
  return createHmac('sha256', key).update(`${shareId}.${expiresAt}`).digest();
}

/** A token proving the code was given for `shareId`, good until `expiresAt` (ms): `<expiresAt>.<hmac>`. */
export function issueShareToken(key: Buffer, shareId: string, expiresAt: number): string {
  return `${expiresAt}.${signature(key, shareId, expiresAt).toString('base64url')}`;
}

export function shareTokenValid(token: string, key: Buffer, shareId: string, now: number): boolean {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return false;
  const expiresAt = Number(match[1]);
  if (expiresAt <= now) return false;
  return timingSafeEqual(Buffer.from(match[2]!, 'base64url'), signature(key, shareId, expiresAt));
}
