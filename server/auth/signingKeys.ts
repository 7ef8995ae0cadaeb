import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** An HMAC key for access JWTs. `kid` lets old tokens verify while a new key signs. */
export interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

export interface SigningKeyRing {
  /** The key new tokens are signed with. */
  current: SigningKey;
  /** Every key a token may still be verified with, by kid. */
  byKid: Map<string, SigningKey>;
}

interface KeyFile {
  keys: { kid: string; secret: string; createdAt: number }[];
}

export const KEY_FILE_NAME = 'signing-keys.json';

/**
 * A configured secret wins; otherwise the key file in the data folder is used,
 * created (mode 0600) on first start. Rotation: add a key to the file's front.
 */
export function loadSigningKeys(dataDir: string, configuredSecret?: string): SigningKeyRing {
  if (configuredSecret) {
    if (Buffer.byteLength(configuredSecret) < 32) throw new Error('the JWT secret must be at least 32 bytes');
    const kid = createHash('sha256').update(configuredSecret).digest('base64url').slice(0, 16);
    const key = { kid, secret: Buffer.from(configuredSecret) };
    return { current: key, byKid: new Map([[kid, key]]) };
  }
  const file = join(dataDir, KEY_FILE_NAME);
  if (!existsSync(file)) {
    const fresh: KeyFile = {
      keys: [{ kid: randomBytes(8).toString('base64url'), secret: randomBytes(32).toString('base64url'), createdAt: Date.now() }],
    };
    writeFileSync(file, JSON.stringify(fresh, null, 2), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  const keys = parsed.keys.map((k) => ({ kid: k.kid, secret: Buffer.from(k.secret, 'base64url') }));
  if (keys.length === 0) throw new Error(`${file} holds no keys`);
  return { current: keys[0]!, byKid: new Map(keys.map((k) => [k.kid, k])) };
}
