import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { User } from '../protocol/api.js';
import { systemClock } from './clock.js';
import type { CredentialStore } from './auth/credentialStore.js';
import type { TokenSession } from './auth/tokenSession.js';
import { ClientAccount, openStateStore, resolveStateDir, type BrowserSignIn, type ClientAccountOptions } from './clientAccount.js';
import type { SqliteStateStore } from './db/sqliteStateStore.js';
import { SyncEngine, type SyncEngineOptions } from './engine/syncEngine.js';
import { PiscinaHasher } from './hash/piscinaHasher.js';
import { nodeLocalFs } from './local/localFs.js';
import { FreedesktopTrash, StateDirTrash, type LocalTrash } from './local/trash.js';
import { nodeWatch } from './local/watcher.js';
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
  transport?: ClientAccountOptions['transport'];
}

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
    readonly account: ClientAccount,
    readonly remote: HttpRemoteStore,
    private readonly hasher: PiscinaHasher,
    engineOptions: SyncEngineOptions,
    /** Where the user's local files go instead of being deleted (the UI uses it to resolve conflicts). */
    readonly trash: LocalTrash,
  ) {
    this.engine = new SyncEngine({
      remote, state, hasher, trash,
      fs: nodeLocalFs, watch: nodeWatch, clock: systemClock, random: Math.random,
    }, engineOptions);
  }

  static async open(options: SyncClientOptions): Promise<SyncClient> {
    const folder = resolve(options.folder);
    const stateDir = resolveStateDir(folder, options.stateDir);
    const state = openStateStore(stateDir);
    try {
      const account = await ClientAccount.open({
        server: options.server,
        state,
        stateDir,
        warn: options.warn,
        ...(options.credentials ? { credentials: options.credentials } : {}),
        ...(options.transport ? { transport: options.transport } : {}),
      });
      const remote = new HttpRemoteStore(account.api, account.session);
      const hasher = new PiscinaHasher();
      const fallbackTrash = new StateDirTrash(stateDir);
      const trash = process.platform === 'linux' ? new FreedesktopTrash(fallbackTrash) : fallbackTrash;
      return new SyncClient(folder, stateDir, state, account, remote, hasher, {
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

  get session(): TokenSession {
    return this.account.session;
  }

  /** Signs in with a password; a different account than the folder's last one is refused. */
  login(username: string, password: string): Promise<User> {
    return this.account.login(username, password);
  }

  /** Signs in with QQ or an OpenID Connect provider through the system browser. */
  signInWithBrowser(options: BrowserSignIn): Promise<User> {
    return this.account.signInWithBrowser(options);
  }

  /** Picks up the sign-in stored by an earlier run; false when there is none. */
  resume(): Promise<boolean> {
    return this.account.resume();
  }

  get username(): string | null {
    return this.account.username;
  }

  async close(): Promise<void> {
    await this.engine.stop();
    await this.hasher.close();
    this.state.close();
  }
}
