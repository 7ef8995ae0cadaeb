import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { openCredentialStore } from './auth/credentialStore.js';
import type { CredentialStore } from './auth/credentialStore.js';
import { TokenSession } from './auth/tokenSession.js';
import { SqliteStateStore } from './db/sqliteStateStore.js';
import { SyncEngine, type SyncEngineOptions } from './engine/syncEngine.js';
import { SyncError } from './errors.js';
import { PiscinaHasher } from './hash/piscinaHasher.js';
import { STATE_DIR_NAME } from './local/ignore.js';
import { FreedesktopTrash, StateDirTrash, type LocalTrash } from './local/trash.js';
import { ApiClient } from './remote/apiClient.js';
import { HttpRemoteStore } from './remote/httpRemoteStore.js';

export interface SyncClientOptions {
  server: string;
  folder: string;
  /** Defaults to `<folder>/.netdisk-sync`, on the folder's disk so downloads rename atomically. */
  stateDir?: string;
  /** Told when secrets cannot go to the OS keychain. */
  warn: (message: string) => void;
  credentials?: CredentialStore;
  engine?: Partial<Omit<SyncEngineOptions, 'root' | 'stateDir'>>;
}

const SETTING_SERVER = 'server';
const SETTING_USERNAME = 'username';

/**
 * The composition root of a sync client: state, credentials, session, remote
 * store, hasher and engine for one folder. The CLI and the desktop app both
 * build their client here.
 */
export class SyncClient {
  readonly engine: SyncEngine;

  private constructor(
    readonly folder: string,
    readonly stateDir: string,
    readonly state: SqliteStateStore,
    readonly session: TokenSession,
    readonly remote: HttpRemoteStore,
    private readonly hasher: PiscinaHasher,
    engineOptions: SyncEngineOptions,
    trash: LocalTrash,
  ) {
    this.engine = new SyncEngine({ remote, state, hasher, trash }, engineOptions);
  }

  static async open(options: SyncClientOptions): Promise<SyncClient> {
    const folder = resolve(options.folder);
    const stateDir = resolve(options.stateDir ?? join(folder, STATE_DIR_NAME));
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const state = SqliteStateStore.open(join(stateDir, 'state.sqlite'));
    try {
      const knownServer = state.getSetting(SETTING_SERVER);
      const server = options.server.replace(/\/+$/, '');
      if (knownServer !== null && knownServer !== server) {
        throw new SyncError('account_mismatch', `this folder syncs with ${knownServer}, not ${server}; choose another folder or state dir`);
      }
      const credentials = options.credentials ?? await openCredentialStore({ stateDir, warn: options.warn });
      const api = new ApiClient(server);
      const session = new TokenSession({ api, credentials });
      const remote = new HttpRemoteStore(api, session);
      const hasher = new PiscinaHasher();
      const fallbackTrash = new StateDirTrash(stateDir);
      const trash = process.platform === 'linux' ? new FreedesktopTrash(fallbackTrash) : fallbackTrash;
      state.setSetting(SETTING_SERVER, server);
      return new SyncClient(folder, stateDir, state, session, remote, hasher, {
        host: hostname(),
        ...options.engine,
        root: folder,
        stateDir,
      }, trash);
    } catch (error) {
      state.close();
      throw error;
    }
  }

  /** Signs in with a password; a different account than the folder's last one is refused. */
  async login(username: string, password: string): Promise<void> {
    this.assertSameAccount(username);
    await this.session.login(username, password, `netdisk-sync on ${hostname()}`);
    this.state.setSetting(SETTING_USERNAME, username);
  }

  /** Picks up the sign-in stored by an earlier run; false when there is none. */
  async resume(): Promise<boolean> {
    const username = this.state.getSetting(SETTING_USERNAME);
    return username !== null && this.session.resume(username);
  }

  get username(): string | null {
    return this.state.getSetting(SETTING_USERNAME);
  }

  async close(): Promise<void> {
    await this.engine.stop();
    await this.hasher.close();
    this.state.close();
  }

  private assertSameAccount(username: string): void {
    const known = this.state.getSetting(SETTING_USERNAME);
    if (known !== null && known.toLowerCase() !== username.toLowerCase() && this.state.loadBase().size > 0) {
      throw new SyncError('account_mismatch', `this folder is synced for ${known}; sign in as ${known} or choose another folder`);
    }
  }
}
