import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SafeStorageCredentialStore, type StringCipher } from './safeStorageCredentialStore.js';

/** AES-256-GCM under a per-test key: a real cipher with safeStorage's shape. */
function aesCipher(available = true): StringCipher {
  const key = randomBytes(32);
  return {
    isEncryptionAvailable: () => available,
    encryptString(text) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decryptString(data) {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(12, 28));
      return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'safe-storage-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('SafeStorageCredentialStore', () => {
  it('keeps secrets encrypted in an owner-only file', async () => {
    const dir = tempDir();
    const store = new SafeStorageCredentialStore(aesCipher(), dir);
    await store.set('http://127.0.0.1:8080|ann', 'refresh-token-secret');
    expect(await store.get('http://127.0.0.1:8080|ann')).toBe('refresh-token-secret');
    expect(readFileSync(store.filePath, 'utf8')).not.toContain('refresh-token-secret');
    expect(statSync(store.filePath).mode & 0o777).toBe(0o600);
    expect(await store.delete('http://127.0.0.1:8080|ann')).toBe(true);
    expect(await store.get('http://127.0.0.1:8080|ann')).toBeNull();
  });

  it('refuses to write when encryption is unavailable, and cannot read under another key', async () => {
    const dir = tempDir();
    await expect(new SafeStorageCredentialStore(aesCipher(false), dir).set('a', 's')).rejects.toMatchObject({ code: 'keychain_unavailable' });
    await new SafeStorageCredentialStore(aesCipher(), dir).set('a', 's');
    const error = await new SafeStorageCredentialStore(aesCipher(), dir).get('a').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'keychain_unavailable' });
    expect(String((error as Error).message)).not.toContain('s"');
  });
});
