import { FileCredentialStore } from '../app/auth/fileCredentialStore.js';
import type { CredentialStore } from '../app/auth/credentialStore.js';
import { SyncError } from '../app/errors.js';

/** The part of Electron's `safeStorage` this store uses; injected so the store runs (and is tested) without Electron. */
export interface StringCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * The keychain fallback of the desktop app: the 0600 file store, but every
 * secret encrypted with Electron's safeStorage (DPAPI on Windows, a Keychain
 * key on macOS, the desktop's secret service key on Linux), so the file alone
 * is not enough to sign in.
 */
export class SafeStorageCredentialStore implements CredentialStore {
  readonly kind = 'file';
  private readonly file: FileCredentialStore;

  constructor(private readonly cipher: StringCipher, directory: string) {
    this.file = new FileCredentialStore(directory);
  }

  get filePath(): string {
    return this.file.filePath;
  }

  async get(account: string): Promise<string | null> {
    const stored = await this.file.get(account);
    if (stored === null) return null;
    this.assertAvailable();
    try {
      return this.cipher.decryptString(Buffer.from(stored, 'base64'));
    } catch (error) {
      // Encrypted under another OS account or key: unreadable, so the person signs in again.
      throw new SyncError('keychain_unavailable', 'the saved sign-in cannot be decrypted on this account', { cause: error });
    }
  }

  async set(account: string, secret: string): Promise<void> {
    this.assertAvailable();
    await this.file.set(account, this.cipher.encryptString(secret).toString('base64'));
  }

  delete(account: string): Promise<boolean> {
    return this.file.delete(account);
  }

  private assertAvailable(): void {
    if (!this.cipher.isEncryptionAvailable()) {
      throw new SyncError('keychain_unavailable', 'system encryption (safeStorage) is not available');
    }
  }
}
