import { SyncError } from '../errors.js';
import type { CredentialStore } from './credentialStore.js';

type Keytar = typeof import('keytar');

export const KEYCHAIN_SERVICE = 'netdisk-sync';
const PROBE_ACCOUNT = 'netdisk-sync-probe';

/**
 * The OS secret store (Secret Service on Linux, Keychain on macOS, Credential
 * Vault on Windows) through keytar. keytar is loaded on first use, so a
 * missing native module or an unreachable keyring becomes a typed
 * `keychain_unavailable` error instead of a failed import.
 */
export class KeytarCredentialStore implements CredentialStore {
  readonly kind = 'keychain';
  private keytar: Promise<Keytar> | undefined;

  constructor(private readonly service: string = KEYCHAIN_SERVICE) {}

  get(account: string): Promise<string | null> {
    return this.use((keytar) => keytar.getPassword(this.service, account));
  }

  set(account: string, secret: string): Promise<void> {
    return this.use((keytar) => keytar.setPassword(this.service, account, secret));
  }

  delete(account: string): Promise<boolean> {
    return this.use((keytar) => keytar.deletePassword(this.service, account));
  }

  /** Throws `keychain_unavailable` unless an item can be written and removed. */
  async probe(): Promise<void> {
    await this.set(PROBE_ACCOUNT, 'probe');
    await this.delete(PROBE_ACCOUNT);
  }

  private async use<T>(operation: (keytar: Keytar) => Promise<T>): Promise<T> {
    try {
      this.keytar ??= import('keytar').then((module) => (module as { default?: Keytar }).default ?? module);
      return await operation(await this.keytar);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SyncError('keychain_unavailable', `the system keychain is not available (${reason})`, { cause: error });
    }
  }
}
