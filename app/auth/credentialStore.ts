import { SyncError } from '../errors.js';
import { FileCredentialStore } from './fileCredentialStore.js';
import { KeytarCredentialStore } from './keytarCredentialStore.js';

/** Where refresh tokens live between runs. Secrets never appear in logs or errors. */
export interface CredentialStore {
  /** 'keychain' (the OS secret store) or 'file' (a 0600 JSON file: weaker, warned about). */
  readonly kind: 'keychain' | 'file';
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** True when something was deleted. */
  delete(account: string): Promise<boolean>;
}

/** One stored secret per service and user. */
export function credentialAccount(serverUrl: string, username: string): string {
  return `${serverUrl.replace(/\/+$/, '')}|${username}`;
}

export interface OpenCredentialStoreOptions {
  /** The client's state folder; holds the file store when no keychain is reachable. */
  stateDir: string;
  /** Told why secrets go to a file instead of the keychain. */
  warn: (message: string) => void;
  /** The keychain to try first; `probe` throws `keychain_unavailable` when it cannot be used. */
  keychain?: CredentialStore & Pick<KeytarCredentialStore, 'probe'>;
  /** Used instead of the plain 0600 file when no keychain answers (the desktop app's safeStorage-encrypted file). */
  fallback?: CredentialStore & { readonly filePath: string };
}

/**
 * The OS keychain when one answers, otherwise the file store. The probe writes
 * and deletes an item, because a locked keyring reads fine but refuses writes.
 */
export async function openCredentialStore(options: OpenCredentialStoreOptions): Promise<CredentialStore> {
  const keychain = options.keychain ?? new KeytarCredentialStore();
  try {
    await keychain.probe();
    return keychain;
  } catch (error) {
    if (!(error instanceof SyncError) || error.code !== 'keychain_unavailable') throw error;
    const fileStore = options.fallback ?? new FileCredentialStore(options.stateDir);
    options.warn(`${error.message}; storing sign-in tokens in ${fileStore.filePath} (readable by your user only) instead`);
    return fileStore;
  }
}
