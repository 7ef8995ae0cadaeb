import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { sessionsResponse, type StorageUsage } from '../../protocol/api.js';
import {
  BRIDGE_ERROR_CODES, bridgeCommands,
  type BridgeCommandName, type BridgeErrorInfo, type BridgeEvent, type BridgeResult,
  type MassDeleteHold, type Provider, type SessionInfo, type Settings, type SettingsPatch, type Snapshot,
} from '../../protocol/bridge.js';
import type { EngineIssue, EngineState, Progress } from '../../protocol/engine.js';
import { checkEntryPath } from '../../protocol/paths.js';
import { LocalPaths } from '../local/localPaths.js';
import { isSyncError, SyncError } from '../errors.js';
import { IGNORE_FILE_NAME } from '../local/ignore.js';
import type { SyncClient } from '../syncClient.js';
import { CONFLICTED_COPY_MARK } from '../sync/conflictName.js';
import { ConflictList } from './conflictList.js';
import { readStoredSettings, writeStoredSettings, type StoredSettings } from './settingsFile.js';
import { prepareSyncFolder } from './syncLocation.js';

export type BridgeErrorCode = (typeof BRIDGE_ERROR_CODES)[number];

/** A refusal by the bridge itself (bad arguments, unknown command, not possible in this shell). */
export class BridgeError extends Error {
  constructor(readonly code: BridgeErrorCode, message: string) {
    super(message);
    this.name = 'BridgeError';
  }
}

export interface BridgeServiceOptions {
  shell: 'desktop' | 'web';
  /** Ways to sign in besides the password, in the order shown. */
  providers?: Provider[];
  /** Opens a local file with the system's default app; only the desktop shell can. */
  openPath?: (absPath: string) => Promise<void>;
  /** Opens the system browser for a provider sign-in; without it the page opens the URL it gets back. */
  openBrowser?: (url: string) => Promise<void>;
  /**
   * Moves the sync to another folder or service (`server: null`: the built-in
   * one) by reopening the client there, and resolves to the service that now
   * serves the page (this one is closed by then); without it such changes are refused.
   */
  changeLocation?: (next: { folder: string; server: string | null }) => Promise<BridgeService>;
  /** The host can run the service on this computer (the desktop's embedded one); `inUse`: this sync talks to it. */
  builtInService?: { inUse: boolean };
  /** Told about failures that are bugs, with the real error; the page only gets a generic sentence. */
  onInternalError?: (error: unknown) => void;
}

type Handlers = {
  [K in BridgeCommandName]: (args: z.output<(typeof bridgeCommands)[K]['args']>) => Promise<BridgeResult<K> extends undefined ? void : BridgeResult<K>>;
};

const ZERO_PROGRESS: Progress = { filesTotal: 0, filesDone: 0, bytesTotal: 0, bytesDone: 0, rate: 0, eta: null };
const MAX_ISSUES = 100;
const DEFAULT_PROVIDERS: Provider[] = [{ id: 'qq', label: 'QQ' }];
/** The engine's issue code for held-back deletes; the issue ends with the hold. */
const MASS_DELETE_ISSUE = 'mass_delete';

/**
 * The engine side of the UI contract (protocol/bridge.ts) over one SyncClient:
 * validates every command's argument, acts on the engine, the session and the
 * settings, validates every result (which also strips anything the schema
 * does not name), and fans engine and session changes out as events. The
 * Electron main process and the web bridge both serve this one class; it
 * starts the engine whenever the session is signed in and stops it on sign-out.
 */
export class BridgeService {
  private readonly listeners = new Set<(event: BridgeEvent) => void>();
  private readonly conflicts: ConflictList;
  private readonly paths: LocalPaths;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly handlers: Handlers;
  private stored: StoredSettings;
  private progress: Progress = ZERO_PROGRESS;
  private engineDetail: string | undefined;
  private issues: EngineIssue[] = [];
  private massDelete: MassDeleteHold | null = null;
  private storage: StorageUsage | undefined;
  private sessionReason: SessionInfo['reason'] = null;
  private running: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private providerSignIn: AbortController | null = null;
  private closed = false;

  constructor(private readonly client: SyncClient, private readonly options: BridgeServiceOptions) {
    this.paths = new LocalPaths(client.folder);
    this.conflicts = new ConflictList((drivePath) => this.paths.abs(drivePath));
    this.stored = readStoredSettings(client.stateDir);
    this.handlers = {
      getSnapshot: async () => this.snapshot(),
      signInWithPassword: async ({ username, password }) => {
        await this.client.login(username, password);
        return this.sessionInfo();
      },
      signInWithProvider: ({ provider }) => this.signInWithProvider(provider),
      signOut: async () => {
        this.providerSignIn?.abort();
        await this.client.account.logout();
        return this.sessionInfo();
      },
      pause: async () => this.client.engine.pause(),
      resume: async () => this.client.engine.resume(),
      getSettings: () => this.settings(),
      setSettings: (patch) => this.setSettings(patch),
      listDevices: async () => (await this.authorizedCall({ method: 'GET', path: '/auth/sessions' }, sessionsResponse)).sessions,
      signOutDevice: async ({ id }) => {
        await this.authorizedCall({ method: 'DELETE', path: `/auth/sessions/${encodeURIComponent(id)}` }, null);
      },
      retryTransfer: async ({ id }) => {
        const failed = this.client.engine.currentTransfers().some((t) => t.id === id && t.state === 'failed');
        if (!failed) throw new SyncError('not_found', 'that transfer is no longer waiting for a retry; it may have finished already');
        this.client.engine.syncNow();
      },
      createShare: (request) => this.client.remote.createShare(request),
      listShares: () => this.client.remote.listShares(),
      revokeShare: ({ id }) => this.client.remote.revokeShare(id),
      listVersions: ({ path }) => this.client.remote.listVersions(path),
      // The engine learns of the restore from the change feed and downloads it like any remote edit.
      restoreVersion: async (request) => {
        await this.client.remote.restoreVersion(request);
        return this.client.remote.listVersions(request.path);
      },
      confirmMassDelete: async () => {
        this.client.engine.confirmMassDelete();
        this.massDelete = null;
        this.issues = this.issues.filter((issue) => issue.code !== MASS_DELETE_ISSUE);
        this.emit({ type: 'massDeleteCleared' });
      },
      openPath: async ({ path }) => {
        if (!this.options.openPath) throw new BridgeError('not_supported', 'opening files works in the desktop app only; the file is in your sync folder');
        await this.options.openPath(this.localPath(path));
      },
      keepConflictVersion: ({ id, keep }) => this.keepConflictVersion(id, keep),
      listFolders: async ({ path }) => this.client.engine.folders.list(path),
      setFolderKept: async ({ path, keep }) => {
        if (keep) this.client.engine.folders.include(path);
        else this.client.engine.folders.exclude(path);
      },
      setSyncNewFolders: async ({ sync }) => this.client.engine.folders.setSyncNewFolders(sync),
    };
  }

  /** Subscribes to the engine and the session; runs the engine when signed in. */
  start(): void {
    this.unsubscribe.push(this.client.engine.on((event) => {
      switch (event.type) {
        case 'progress': this.progress = event.progress; break;
        case 'state':
          this.engineDetail = event.detail;
          // A round ended: files came or went, so the storage figures may have moved.
          if (event.state === 'idle' || event.state === 'error') this.refreshStorage();
          break;
        case 'issue': this.issues = [...this.issues, event.issue].slice(-MAX_ISSUES); break;
        case 'massDelete': this.massDelete = { count: event.count, side: event.side, total: event.total }; break;
        case 'activity':
          if (this.conflicts.add(event.activity)) this.emitConflicts();
          break;
        default: break;
      }
      this.emit(event);
    }));
    this.unsubscribe.push(this.client.session.onStateChange((state, reason) => {
      this.sessionReason = reason ? { code: reason.detail.serviceCode ?? reason.code, message: reason.message } : null;
      if (state === 'signed_in') {
        this.runEngine();
        this.refreshStorage();
      } else void this.stopEngine();
      this.emit({ type: 'session', session: this.sessionInfo() });
    }));
    // Asked of the database: loading the local tree for a handful of names held 100,000 nodes at start.
    this.conflicts.addFromTree(this.client.state.pathsContaining('local', CONFLICTED_COPY_MARK));
    for (const activity of this.client.engine.recentActivity()) this.conflicts.add(activity);
    if (this.client.session.state === 'signed_in') {
      this.runEngine();
      this.refreshStorage();
    }
    // A page that followed a change of location learns the new sync's session (and reloads its snapshot).
    this.emit({ type: 'session', session: this.sessionInfo() });
  }

  /** Stops the engine and the event flow; the client stays open for its owner to close. */
  async close(): Promise<void> {
    this.closed = true;
    this.providerSignIn?.abort();
    for (const off of this.unsubscribe.splice(0)) off();
    this.listeners.clear();
    await this.stopEngine();
  }

  on(listener: (event: BridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs one command by name: the argument is checked first, the result after. */
  async call(command: string, rawArgs: unknown): Promise<unknown> {
    if (!Object.hasOwn(bridgeCommands, command)) throw new BridgeError('unknown_command', `there is no command "${command}"`);
    const name = command as BridgeCommandName;
    const spec = bridgeCommands[name];
    const parsed = spec.args.safeParse(rawArgs);
    if (!parsed.success) throw new BridgeError('invalid_request', `${name}: ${z.prettifyError(parsed.error)}`);
    const handler = this.handlers[name] as (args: unknown) => Promise<unknown>;
    return spec.result.parse(await handler(parsed.data));
  }

  /** A failure as the page may see it: a stable code and a sentence, never a stack or a secret. */
  describeError(error: unknown): BridgeErrorInfo {
    if (error instanceof BridgeError) return { code: error.code, message: error.message };
    if (isSyncError(error)) return { code: error.detail.serviceCode ?? error.code, message: error.message };
    this.options.onInternalError?.(error);
    return { code: 'internal', message: 'something went wrong inside netdisk-sync' };
  }

  private snapshot(): Promise<Snapshot> {
    return this.settings().then((settings) => ({
      shell: this.options.shell,
      session: this.sessionInfo(),
      engine: { state: this.client.engine.state, ...(this.engineDetail === undefined ? {} : { detail: this.engineDetail }) },
      progress: this.progress,
      transfers: this.client.engine.currentTransfers(),
      activity: this.client.engine.recentActivity(),
      issues: this.issues,
      conflicts: this.conflicts.open(),
      massDelete: this.massDelete,
      settings,
      providers: this.options.providers ?? DEFAULT_PROVIDERS,
      capabilities: { changeLocation: this.options.changeLocation !== undefined, builtInService: this.options.builtInService !== undefined },
      usesBuiltInService: this.options.builtInService?.inUse ?? false,
      ...(this.storage ? { storage: this.storage } : {}),
    }));
  }

  /** Asks the service for the account's storage and tells the page when it changed; a failure keeps the last figures. */
  private refreshStorage(): void {
    this.client.account.storage().then((storage) => {
      if (!storage || this.closed) return;
      const known = this.storage;
      if (known && known.usedBytes === storage.usedBytes && known.reservedBytes === storage.reservedBytes && known.quotaBytes === storage.quotaBytes) return;
      this.storage = storage;
      this.emit({ type: 'storage', storage });
    }, () => {});
  }

  private sessionInfo(): SessionInfo {
    const signedIn = this.client.session.state === 'signed_in';
    return {
      state: signedIn ? 'signed_in' : 'signed_out',
      username: this.client.session.user?.username ?? this.client.username,
      reason: signedIn ? null : this.sessionReason,
    };
  }

  private async settings(): Promise<Settings> {
    return {
      folder: this.client.folder,
      server: this.client.account.api.serverUrl,
      ignoreRules: await readFile(this.ignoreFile(), 'utf8').catch(() => ''),
      ...this.stored,
    };
  }

  private async setSettings(patch: SettingsPatch): Promise<Settings> {
    const { folder, server, ...rest } = patch;
    const current = await this.settings();
    const usesBuiltIn = this.options.builtInService?.inUse ?? false;
    const serverChanges = server === null ? !usesBuiltIn : server !== undefined && server !== current.server;
    if (serverChanges || (folder !== undefined && folder !== current.folder)) {
      return this.relocate(folder ?? current.folder, server === undefined ? (usesBuiltIn ? null : current.server) : server, rest);
    }
    const { ignoreRules, ...stored } = rest;
    if (ignoreRules !== undefined && ignoreRules !== current.ignoreRules) {
      // The watcher sees the file change and reloads the rules.
      await writeFile(this.ignoreFile(), ignoreRules, 'utf8');
    }
    this.stored = { ...this.stored, ...stored };
    writeStoredSettings(this.client.stateDir, this.stored);
    this.client.engine.setBandwidthLimits({ upload: this.stored.uploadLimit, download: this.stored.downloadLimit });
    const settings = await this.settings();
    this.emit({ type: 'settings', settings });
    return settings;
  }

  /** The rest of the patch belongs to the new place's settings, so the successor applies it. */
  private async relocate(folder: string, server: string | null, rest: Omit<SettingsPatch, 'folder' | 'server'>): Promise<Settings> {
    if (!this.options.changeLocation) {
      throw new BridgeError('not_supported', 'the folder and the server are chosen when netdisk-sync starts: restart it with --folder or --server');
    }
    if (server === null && !this.options.builtInService) throw new BridgeError('not_supported', 'there is no built-in service here: enter the address of a service');
    const prepared = await prepareSyncFolder(folder);
    if (!prepared.ok) throw new BridgeError(prepared.code, prepared.message);
    const successor = await this.options.changeLocation({ folder: prepared.folder, server });
    return await successor.call('setSettings', rest) as Settings;
  }

  /** Resolves with the page to open as soon as the sign-in listens; the outcome arrives as a session event. */
  private signInWithProvider(provider: string): Promise<{ url: string }> {
    this.providerSignIn?.abort();
    const controller = new AbortController();
    this.providerSignIn = controller;
    return new Promise((resolve, reject) => {
      let opened = false;
      this.client.signInWithBrowser({
        provider,
        signal: controller.signal,
        openBrowser: async (url) => {
          opened = true;
          resolve({ url });
          await this.options.openBrowser?.(url);
        },
      }).catch((error: unknown) => {
        if (!opened) return reject(error);
        if (isSyncError(error) && error.code === 'aborted') return;
        const info = this.describeError(error);
        this.sessionReason = info;
        this.emit({ type: 'session', session: this.sessionInfo() });
      }).finally(() => {
        if (this.providerSignIn === controller) this.providerSignIn = null;
      });
    });
  }

  private async keepConflictVersion(id: string, keep: 'original' | 'copy'): Promise<void> {
    const conflict = this.conflicts.get(id);
    if (!conflict) throw new SyncError('not_found', 'this conflict is already resolved');
    const original = await this.changeablePath(conflict.path);
    const copy = await this.changeablePath(conflict.copyPath);
    // Nothing is deleted outright: the version not kept goes to the trash.
    if (keep === 'original') {
      await this.client.trash.moveToTrash(copy);
    } else {
      // Renaming the copy into a folder this computer does not keep would
      // make the same conflict again: the user chooses the folder first.
      if (!this.client.engine.folders.keeps(conflict.path)) {
        throw new BridgeError('folder_not_kept', `${conflict.path} is in a folder this computer does not keep`);
      }
      // The conflict is reported when this computer's version is set aside,
      // before the service's version has come down. Renaming the copy onto
      // the name now would meet that download and make a second conflict:
      // let the engine finish first.
      if (!existsSync(original)) await this.engineSettled();
      if (existsSync(original)) await this.client.trash.moveToTrash(original);
      await rename(copy, original);
    }
    this.client.engine.syncNow();
    this.emitConflicts();
  }

  /** Resolves once the engine has no round running (converged, paused, offline, failed or signed out). */
  private engineSettled(): Promise<void> {
    const working = (state: EngineState) => state === 'scanning' || state === 'syncing';
    if (!working(this.client.engine.state)) return Promise.resolve();
    return new Promise((resolve) => {
      const unsubscribe = this.client.engine.on((event) => {
        if (event.type === 'state' && !working(event.state)) {
          unsubscribe();
          resolve();
        }
      });
    });
  }

  private async authorizedCall<T extends z.ZodType>(request: { method: 'GET' | 'DELETE'; path: string }, schema: T): Promise<z.output<T>>;
  private async authorizedCall(request: { method: 'GET' | 'DELETE'; path: string }, schema: null): Promise<void>;
  private async authorizedCall(request: { method: 'GET' | 'DELETE'; path: string }, schema: z.ZodType | null): Promise<unknown> {
    const { api } = this.client.account;
    return this.client.session.authorized((accessToken) => schema === null
      ? api.call({ ...request, accessToken }, null)
      : api.call({ ...request, accessToken }, schema));
  }

  private localPath(drivePath: string): string {
    return this.paths.abs(requestedPath(drivePath));
  }

  /** For a rename or a trash: like `localPath`, and never through a symbolic link inside the folder. */
  private changeablePath(drivePath: string): Promise<string> {
    return this.paths.forChange(requestedPath(drivePath));
  }

  private ignoreFile(): string {
    return join(this.client.folder, IGNORE_FILE_NAME);
  }

  private runEngine(): void {
    if (this.closed) return;
    if (this.stopping) {
      // Signed in again while the last run winds down: start once it has.
      void this.stopping.then(() => { if (this.client.session.state === 'signed_in') this.runEngine(); });
      return;
    }
    if (this.running) {
      this.client.engine.syncNow();
      return;
    }
    this.running = this.client.engine.run()
      .catch((error: unknown) => {
        // signed_out is shown by the session event; the rest as an issue the user can act on.
        if (isSyncError(error) && error.code === 'signed_out') return;
        const info = this.describeError(error);
        this.issues = [...this.issues, info].slice(-MAX_ISSUES);
        this.emit({ type: 'issue', issue: info });
      })
      .finally(() => { this.running = null; });
  }

  private stopEngine(): Promise<void> {
    const running = this.running;
    if (!running) return this.stopping ?? Promise.resolve();
    this.stopping ??= this.client.engine.stop().then(() => running).finally(() => { this.stopping = null; });
    return this.stopping;
  }

  private emitConflicts(): void {
    this.emit({ type: 'conflicts', conflicts: this.conflicts.open() });
  }

  private emit(event: BridgeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** A drive path the page sent, checked. */
function requestedPath(drivePath: string): string {
  const check = checkEntryPath(drivePath);
  if (!check.ok) throw new BridgeError('invalid_request', `not a path in the drive: ${check.reason}`);
  return check.path;
}
