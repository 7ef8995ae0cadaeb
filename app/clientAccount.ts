import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { meResponse, type StorageUsage, type User } from '../protocol/api.js';
import { openCredentialStore, type CredentialStore } from './auth/credentialStore.js';
import { signInThroughBrowser, type BrowserSignInOptions } from './auth/loopbackSignIn.js';
import { TokenSession } from './auth/tokenSession.js';
import { SqliteStateStore } from './db/sqliteStateStore.js';
import { isSyncError, SyncError } from './errors.js';
import { syncErrorFromFs } from './fsErrors.js';
import { STATE_DIR_NAME } from './local/ignore.js';
import { ApiClient, type ApiClientOptions } from './remote/apiClient.js';

const SETTING_SERVER = 'server';
const SETTING_USERNAME = 'username';

/** The state folder of a sync folder: `<folder>/.netdisk-sync` unless one is given. */
export function resolveStateDir(folder: string, stateDir?: string): string {
  return resolve(stateDir ?? join(resolve(folder), STATE_DIR_NAME));
}

/** The database in a state folder; its presence marks a folder as some sync's state. */
export const STATE_FILE_NAME = 'state.sqlite';

/** The client's SQLite state in `stateDir`, created (owner-only) when missing. */
export function openStateStore(stateDir: string): SqliteStateStore {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw syncErrorFromFs(error, stateDir);
  }
  return SqliteStateStore.open(join(stateDir, STATE_FILE_NAME));
}

export interface ClientAccountOptions {
  server: string;
  /** Where the service and the username are remembered; the synced base tells whether switching user is safe. */
  state: Pick<SqliteStateStore, 'getSetting' | 'setSetting' | 'count'>;
  stateDir: string;
  /** Told when secrets cannot go to the OS keychain. */
  warn: (message: string) => void;
  credentials?: CredentialStore;
  /** Connect and idle timeouts of every request (tests shorten them to see a stalled request time out). */
  transport?: ApiClientOptions;
}

export type BrowserSignIn = Pick<BrowserSignInOptions, 'provider' | 'openBrowser' | 'timeoutMs' | 'signal'>;

/**
 * The account one state folder signs in with: which service (fixed at the
 * first open) and which user (remembered at sign-in, so that a later run
 * resumes without asking), plus the token session. Sync clients, the CLI's
 * login/logout/whoami and the desktop app share it.
 */
export class ClientAccount {
  private constructor(
    private readonly state: ClientAccountOptions['state'],
    readonly api: ApiClient,
    readonly session: TokenSession,
  ) {}

  /** Refuses a state folder that belongs to another service. */
  static async open(options: ClientAccountOptions): Promise<ClientAccount> {
    const server = options.server.replace(/\/+$/, '');
    const knownServer = options.state.getSetting(SETTING_SERVER);
    if (knownServer !== null && knownServer !== server) {
      throw new SyncError('account_mismatch', `this folder syncs with ${knownServer}, not ${server}; choose another folder or state dir`);
    }
    const credentials = options.credentials ?? await openCredentialStore({ stateDir: options.stateDir, warn: options.warn });
    const api = new ApiClient(server, options.transport);
    options.state.setSetting(SETTING_SERVER, server);
    return new ClientAccount(options.state, api, new TokenSession({ api, credentials }));
  }

  /** The user of the last sign-in in this state folder, signed in or not. */
  get username(): string | null {
    return this.state.getSetting(SETTING_USERNAME);
  }

  /** Signs in with a password; a different account than the folder's last one is refused. */
  async login(username: string, password: string): Promise<User> {
    this.assertSameAccount(username);
    const user = await this.session.login(username, password, deviceName());
    this.state.setSetting(SETTING_USERNAME, user.username);
    return user;
  }

  /**
   * Signs in with a provider (QQ, OpenID Connect) through the system browser.
   * The user is only known once the code is exchanged, so a different account
   * than the folder's last one is signed out again, and the tab says why.
   */
  async signInWithBrowser(options: BrowserSignIn): Promise<User> {
    const user = await signInThroughBrowser({
      ...options,
      serverUrl: this.api.serverUrl,
      exchange: async (grant) => {
        const signedIn = await this.session.signInWithCode({ ...grant, deviceName: deviceName() });
        try {
          this.assertSameAccount(signedIn.username);
        } catch (error) {
          await this.session.logout();
          throw error;
        }
        return signedIn;
      },
    });
    this.state.setSetting(SETTING_USERNAME, user.username);
    return user;
  }

  /** Picks up the sign-in stored by an earlier run; false when there is none. */
  async resume(): Promise<boolean> {
    const username = this.username;
    return username !== null && this.session.resume(username);
  }

  /** The signed-in user as the service sees it now; null when not signed in (or the sign-in was revoked). */
  async whoami(): Promise<User | null> {
    if (this.session.state !== 'signed_in' && !(await this.resume())) return null;
    try {
      const answer = await this.session.authorized((accessToken) => this.api.call({ method: 'GET', path: '/me', accessToken }, meResponse));
      return answer.user;
    } catch (error) {
      if (isSyncError(error) && error.code === 'signed_out') return null;
      throw error;
    }
  }

  /** The account's storage use and quota; undefined when not signed in or from a service that does not report it. */
  async storage(): Promise<StorageUsage | undefined> {
    if (this.session.state !== 'signed_in') return undefined;
    const answer = await this.session.authorized((accessToken) => this.api.call({ method: 'GET', path: '/me', accessToken }, meResponse));
    return answer.storage;
  }

  /** Revokes the sign-in at the service and deletes the stored secret; false when nobody was signed in. */
  async logout(): Promise<boolean> {
    if (this.session.state !== 'signed_in' && !(await this.resume())) return false;
    await this.session.logout();
    return true;
  }

  private assertSameAccount(username: string): void {
    const known = this.username;
    if (known !== null && known.toLowerCase() !== username.toLowerCase() && this.state.count('base') > 0) {
      throw new SyncError('account_mismatch', `this folder is synced for ${known}; sign in as ${known} or choose another folder`);
    }
  }
}

function deviceName(): string {
  return `netdisk-sync on ${hostname()}`;
}
