import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../errors.js';
import { credentialAccount, openCredentialStore } from './credentialStore.js';
import { CREDENTIALS_FILE, FileCredentialStore } from './fileCredentialStore.js';
import { KeytarCredentialStore } from './keytarCredentialStore.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-cred-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('credentialAccount', () => {
  it('names one secret per service and user, ignoring a trailing slash', () => {
    expect(credentialAccount('https://disk.example/', 'alice')).toBe('https://disk.example|alice');
  });
});

describe('FileCredentialStore', () => {
  it('round-trips secrets in a file only its owner can read, in a folder it creates', async () => {
    const stateDir = join(tempDir(), 'state');
    const store = new FileCredentialStore(stateDir);
    expect(await store.get('a')).toBeNull();
    await Promise.all([store.set('a', 'secret-a'), store.set('b', 'secret-b')]);
    expect(await store.get('a')).toBe('secret-a');
    expect(await new FileCredentialStore(stateDir).get('b')).toBe('secret-b');
    expect(statSync(join(stateDir, CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);

    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(JSON.parse(readFileSync(join(stateDir, CREDENTIALS_FILE), 'utf8'))).toEqual({ b: 'secret-b' });
  });

  it('tightens a file that was readable by others when it rewrites it', async () => {
    const stateDir = tempDir();
    writeFileSync(join(stateDir, CREDENTIALS_FILE), '{}', { mode: 0o644 });
    await new FileCredentialStore(stateDir).set('a', 'x');
    expect(statSync(join(stateDir, CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
  });

  it('refuses a corrupt file without quoting its contents', async () => {
    const stateDir = tempDir();
    writeFileSync(join(stateDir, CREDENTIALS_FILE), 'not json with secret-xyz', { mode: 0o600 });
    const error = await new FileCredentialStore(stateDir).get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('secret-xyz');
  });
});

describe('openCredentialStore', () => {
  it('falls back to the file store with a warning when the keychain cannot be used', async () => {
    class LockedKeychain extends KeytarCredentialStore {
      override async probe(): Promise<void> {
        throw new SyncError('keychain_unavailable', 'the system keychain is not available (locked)');
      }
    }
    const warnings: string[] = [];
    const stateDir = tempDir();
    const store = await openCredentialStore({ stateDir, warn: (message) => warnings.push(message), keychain: new LockedKeychain() });
    expect(store.kind).toBe('file');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(stateDir, CREDENTIALS_FILE));
  });
});

describe('KeytarCredentialStore (the real Secret Service)', () => {
  const keychain = new KeytarCredentialStore('netdisk-sync-test');
  let unavailable: string | null = null;

  beforeAll(async () => {
    if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
      unavailable = 'DBUS_SESSION_BUS_ADDRESS is unset (run under dbus-run-session with an unlocked gnome-keyring)';
      return;
    }
    try {
      await keychain.probe();
    } catch (error) {
      unavailable = (error as Error).message;
    }
  });

  it('round-trips a secret, and the chooser picks it', async (context) => {
    if (unavailable) {
      console.warn(`skipping the keytar round trip: ${unavailable}`);
      context.skip(unavailable);
    }
    const account = credentialAccount('http://127.0.0.1:1', `vitest-${process.pid}`);
    await keychain.set(account, 'keychain-secret');
    try {
      expect(await keychain.get(account)).toBe('keychain-secret');
    } finally {
      expect(await keychain.delete(account)).toBe(true);
    }
    expect(await keychain.get(account)).toBeNull();
    const chosen = await openCredentialStore({ stateDir: tempDir(), warn: () => { throw new Error('no warning expected'); } });
    expect(chosen.kind).toBe('keychain');
  });

  it('turns an unreachable keychain into keychain_unavailable', async (context) => {
    if (process.env.DBUS_SESSION_BUS_ADDRESS) context.skip('a D-Bus session is present, so the keychain is reachable');
    const error = await keychain.get('anything').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe('keychain_unavailable');
  });
});
