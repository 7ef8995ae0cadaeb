import type { Activity, EngineEvent, EngineIssue, EngineState, Transfer } from '../../protocol/engine.js';
import type { Clock } from '../clock.js';
import type { StateStore } from '../db/stateStore.js';
import { SyncError, isSyncError } from '../errors.js';
import type { Hasher } from '../hash/hasher.js';
import { IgnoreRules } from '../local/ignore.js';
import type { LocalFs } from '../local/localFs.js';
import { Scanner } from '../local/scanner.js';
import type { LocalTrash } from '../local/trash.js';
import type { WatchFolder } from '../local/watcher.js';
import type { RemoteStore } from '../remote/remoteStore.js';
import { DEFAULT_MASS_DELETE_LIMIT, isMassDelete, type MassDeleteLimit } from '../sync/massDelete.js';
import type { LocalNode } from '../model.js';
import { conflictedCopyName } from '../sync/conflictName.js';
import { agreedBase, type SyncOp } from '../sync/ops.js';
import { mergeSetAside, type SetAsideFinding, type UnsyncableEntry } from '../sync/unsyncable.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from '../base/backoff.js';
import { partialDirOf } from '../transfer/partialFiles.js';
import { TokenBucket } from '../transfer/tokenBucket.js';
import { FolderChoices } from './folderChoices.js';
import { FolderSelection } from './plan/folderSelection.js';
import { LocalObserver } from './plan/localObserver.js';
import { LocalOps } from './execute/localOps.js';
import { LocalPaths } from '../local/localPaths.js';
import { OpExecutor, type TreeOp } from './execute/opExecutor.js';
import { ProgressTracker } from './execute/progressTracker.js';
import { RemoteObserver } from './plan/remoteObserver.js';
import { RoundPlanner, type RoundPlan } from './plan/roundPlanner.js';
import { TransferRunner, type TransferOp } from './execute/transferRunner.js';

/**
 * Everything the engine reaches outside itself. Production wires node:fs,
 * the folder watcher, the system clock and the HTTP store (app/syncClient.ts); the
 * simulation suite (test/sim) wires in-memory worlds and a virtual clock.
 */
export interface SyncEnginePorts {
  remote: RemoteStore;
  state: StateStore;
  hasher: Hasher;
  trash: LocalTrash;
  /** The file system the sync folder is on. */
  fs: LocalFs;
  /** Builds the folder's watcher (while `run` watches). */
  watch: WatchFolder;
  /** Every wait and timer: backoffs, the safety scan, rate limits. */
  clock: Clock;
  /** Uniform in [0, 1): the jitter of backoffs and retries. */
  random: () => number;
}

export interface SyncEngineOptions {
  /** The local folder kept in sync. */
  root: string;
  /** Where the sync state lives; any disk (partial downloads stay on `root`'s, see partialDirOf). */
  stateDir: string;
  /** This machine's name, for conflicted copies. */
  host: string;
  fileConcurrency?: number;
  chunkConcurrency?: number;
  /** Bytes per second; 0 = unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  massDelete?: MassDeleteLimit;
  backoff?: BackoffPolicy;
  /** Rounds of plan-and-execute in one sync before giving up on convergence. */
  maxRounds?: number;
  watch?: {
    debounceMs?: number;
    stabilityMs?: number;
    pollWaitSeconds?: number;
    /**
     * While watching, rounds look only at what the watcher reported; this
     * often (ms) a full walk of the folder checks for events the watcher
     * missed. 0: never. Default: DEFAULT_FULL_SCAN_INTERVAL_MS.
     */
    fullScanIntervalMs?: number;
  };
  /** Whose file-name and path rules apply locally (default: this process's platform); tests inject 'win32'. */
  platform?: NodeJS.Platform;
}

/** Longest a round waits for a stream of deletions to end (a program deleting forever must not stall sync). */
const MAX_DELETION_WAIT_MS = 60_000;

/** The safety scan while watching: once an hour. */
export const DEFAULT_FULL_SCAN_INTERVAL_MS = 60 * 60 * 1000;

export interface SyncFailure {
  path: string;
  code: string;
  message: string;
}

export interface SyncSummary {
  /** Both sides agree (apart from held-back deletes). */
  converged: boolean;
  rounds: number;
  failures: SyncFailure[];
  /** Deletes waiting for the user's confirmation (mass-delete guard). */
  heldDeletes: number;
}

type Listener = (event: EngineEvent) => void;

interface RoundResult {
  planned: number;
  succeeded: number;
  held: number;
  failures: SyncFailure[];
}

const RECENT_ACTIVITY = 200;
/** State setting: the entries the last plan set aside as unsyncable on this computer (JSON). */
const SET_ASIDE_KEY = 'sync.setAside';

/** Failures the user has to act on (free space, check a disk): reported as issues, which the desktop app notifies. */
const DISK_ISSUES: ReadonlySet<string> = new Set(['disk_full', 'io_error', 'service_full']);
/**
 * Failures that last until space is freed here or at the service: more rounds
 * now cannot help, and no file event will say when it is over, so `run`
 * looks again after a long pause (about `backoff.maxMs`) instead.
 */
const WAIT_CODES: ReadonlySet<string> = new Set(['disk_full', 'service_full']);

/**
 * A name the service refused because another entry in its folder differs
 * from it only by case (made on another device; this disk keeps case apart):
 * the local entry is moved aside to a conflicted copy's name, which the next
 * round sends up, instead of being refused again every round while no other
 * device ever gets it. Found by the simulation (test/sim): one device's
 * folder `/d`, another's file `/D`.
 */
function caseClashAside(op: SyncOp, error: SyncError): { path: string; local: LocalNode } | null {
  if (error.detail.serviceCode !== 'case_conflict') return null;
  switch (op.type) {
    case 'uploadFile':
    case 'mkdirRemote':
      return { path: op.path, local: op.local };
    case 'moveRemote':
      return { path: op.to, local: op.local };
    default:
      return null;
  }
}

/**
 * The sync engine's facade: plain data out (typed events, summaries), a few
 * commands in. One control loop decides; hashing, disk and network run
 * elsewhere and report back. Every round observes both sides, plans from the
 * three trees, and executes; rounds repeat until a plan is empty.
 */
export class SyncEngine {
  /** Selective sync: which remote folders this computer keeps; a change starts a round. */
  readonly folders: FolderChoices;
  private readonly selection: FolderSelection;
  private readonly listeners = new Set<Listener>();
  private readonly clock: Clock;
  private readonly paths: LocalPaths;
  private readonly rules: IgnoreRules;
  private readonly planner: RoundPlanner;
  private readonly remoteObserver: RemoteObserver;
  private readonly executor: OpExecutor;
  private readonly transfers: TransferRunner;
  private readonly tracker: ProgressTracker;
  private readonly uploadBucket: TokenBucket;
  private readonly downloadBucket: TokenBucket;
  private readonly reportedIssues = new Set<string>();
  private readonly activity: Activity[] = [];
  private stateValue: EngineState = 'idle';
  private massDeleteConfirmed = false;
  private paused = false;
  private stopped = false;
  private roundController: AbortController | null = null;
  private wake: (() => void) | null = null;
  /** The pending look-again after a lasting failure (see WAIT_CODES). */
  private laterWait: AbortController | null = null;
  /** While `run` runs: aborted by `stop` to end the long poll and the safety scan's wait at once. */
  private runStop: AbortController | null = null;
  /** Told when `run` finished a sync (or gave up on one): the long poll waits for that after it saw news. */
  private syncEnded: (() => void)[] = [];
  private dirty = true;
  /** A watcher feeds the planner's change tracker: rounds may be incremental. */
  private watching = false;
  /** While watching: waits until a burst of deletions (an `rm -rf`) has fully arrived. */
  private deletionsSettled: () => Promise<void> = async () => {};

  constructor(private readonly ports: SyncEnginePorts, private readonly options: SyncEngineOptions) {
    this.clock = ports.clock;
    this.paths = new LocalPaths(options.root, { platform: options.platform, fs: ports.fs });
    this.rules = new IgnoreRules(options.root, ports.fs);
    const scanner = new Scanner(options.root, { rules: this.rules, platform: options.platform, fs: ports.fs });
    this.remoteObserver = new RemoteObserver(ports.remote, ports.state);
    this.selection = new FolderSelection(ports.state, this.paths, ports.trash);
    this.folders = new FolderChoices(ports.state, () => this.trigger());
    this.planner = new RoundPlanner(new LocalObserver(scanner, ports.hasher, ports.state, this.paths, 8), this.remoteObserver, ports.state, {
      root: options.root,
      host: options.host,
      onIssue: (issue) => this.report({ code: issue.code, message: issue.message, path: issue.path }),
      onRefused: (refused) => this.report({
        code: 'invalid_remote_path',
        message: `the service sent a path this client refuses: ${refused.path} (${refused.reason}); it was left out`,
        path: refused.path,
      }),
      unsyncableReason: (path) => this.paths.ownReason(path),
      select: (trees, now) => this.selection.apply(trees, options.host, now),
    });
    this.executor = new OpExecutor(ports.remote, new LocalOps(this.paths, ports.trash), ports.state, () => this.clock.now());
    this.tracker = new ProgressTracker(() => this.clock.now(),
      (transfer) => this.emit({ type: 'transfer', transfer }),
      (progress) => this.emit({ type: 'progress', progress }));
    this.uploadBucket = new TokenBucket(options.uploadLimit ?? 0, this.clock);
    this.downloadBucket = new TokenBucket(options.downloadLimit ?? 0, this.clock);
    this.transfers = new TransferRunner({
      remote: ports.remote,
      hasher: ports.hasher,
      jobs: ports.state.jobs,
      paths: this.paths,
      partialDir: partialDirOf(options.root),
      upload: this.uploadBucket,
      download: this.downloadBucket,
      clock: this.clock,
      host: options.host,
      chunkConcurrency: options.chunkConcurrency ?? 3,
      onBytes: (jobId, bytes) => this.tracker.bytes(jobId, bytes),
    }, ports.state.jobs, this.tracker, this.clock, {
      fileConcurrency: options.fileConcurrency ?? 4,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      random: ports.random,
    });
    // A crash left these running; their finished chunks stay finished.
    ports.state.jobs.requeueRunningJobs(this.clock.now());
  }

  get state(): EngineState {
    return this.stateValue;
  }

  /** Subscribes to engine events; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  currentTransfers(): Transfer[] {
    return this.tracker.transfers();
  }

  recentActivity(): Activity[] {
    return [...this.activity];
  }

  setBandwidthLimits(limits: { upload?: number; download?: number }): void {
    if (limits.upload !== undefined) this.uploadBucket.setRate(limits.upload);
    if (limits.download !== undefined) this.downloadBucket.setRate(limits.download);
  }

  /**
   * Starts a round as soon as `run` is free, e.g. when the user asks to retry
   * a failed transfer or the machine wakes up. It walks the whole folder: the
   * user (or a suspend) may know of changes the watcher did not report.
   */
  syncNow(): void {
    this.planner.changes.requestFullScan();
    this.trigger();
  }

  /** Lets the held-back deletes of the mass-delete guard go ahead in the next round. */
  confirmMassDelete(): void {
    this.massDeleteConfirmed = true;
    this.trigger();
  }

  /** Stops dispatching and aborts what is in flight; persisted chunk state lets `resume` go on. */
  pause(): void {
    this.paused = true;
    this.roundController?.abort(new SyncError('aborted', 'paused'));
    this.setState('paused');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.setState('idle');
    this.trigger();
  }

  /** Ends `run` (or the current sync) cleanly. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.runStop?.abort();
    this.roundController?.abort(new SyncError('aborted', 'stopped'));
    this.trigger();
  }

  /** Syncs until both sides agree (or no round makes progress), then returns. */
  async syncOnce(): Promise<SyncSummary> {
    await this.rules.load();
    const failures = new Map<string, SyncFailure>();
    let stuckRounds = 0;
    let failedRounds = 0;
    let held = 0;
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    for (let round = 1; round <= (this.options.maxRounds ?? 50); round++) {
      if (this.stopped) break;
      const controller = new AbortController();
      this.roundController = controller;
      let result: RoundResult;
      try {
        result = await this.round(controller.signal);
        failedRounds = 0;
      } catch (error) {
        // A transient failure to observe either side (network, 5xx) is worth another round after a pause, not the end of the sync.
        if (!isSyncError(error) || !error.retryable || ++failedRounds >= backoff.maxAttempts) throw error;
        await this.clock.sleep(backoffDelay(backoff, failedRounds, this.ports.random), controller.signal);
        continue;
      } finally {
        this.roundController = null;
      }
      held = result.held;
      for (const failure of result.failures) failures.set(failure.path, failure);
      if (result.planned === 0 || result.planned === result.held) {
        this.setState('idle');
        // Nothing left to do but held deletes: whatever failed in an earlier round (a stale plan, a transient error) was overcome since.
        return { converged: true, rounds: round, failures: [], heldDeletes: held };
      }
      stuckRounds = result.succeeded === 0 ? stuckRounds + 1 : 0;
      if (stuckRounds >= 3 || (result.succeeded === 0 && result.failures.some((f) => WAIT_CODES.has(f.code)))) break;
    }
    this.setState(failures.size > 0 ? 'error' : 'idle');
    return { converged: false, rounds: this.options.maxRounds ?? 50, failures: [...failures.values()], heldDeletes: held };
  }

  /** Watches both sides and syncs whenever either changes, until `stop`. */
  async run(): Promise<void> {
    const watchOptions = this.options.watch ?? {};
    const { changes } = this.planner;
    const watcher = this.ports.watch(this.options.root, {
      rules: this.rules,
      onEvent: (path, realPath) => changes.markLocal(path, realPath),
      onChange: (change) => {
        if (change.reason === 'ignore_rules_changed') {
          void this.rules.load();
          changes.requestFullScan();
        } else {
          changes.markLocal(change.path, change.realPath);
        }
        this.trigger();
      },
      // Events may have been lost (say, out of inotify watches): walk everything next.
      onError: (error) => {
        this.report({ code: error.code, message: error.message });
        changes.requestFullScan();
        this.trigger();
      },
      ...(watchOptions.debounceMs === undefined ? {} : { debounceMs: watchOptions.debounceMs }),
      ...(watchOptions.stabilityMs === undefined ? {} : { stabilityMs: watchOptions.stabilityMs }),
    });
    await watcher.start();
    // Whatever changed before the watcher was ready is found by a full walk.
    changes.requestFullScan();
    this.watching = true;
    this.deletionsSettled = () => watcher.deletionsSettled(MAX_DELETION_WAIT_MS);
    const fullScanMs = watchOptions.fullScanIntervalMs ?? DEFAULT_FULL_SCAN_INTERVAL_MS;
    // Ends the long poll and the safety scan's wait when the loop ends.
    const running = new AbortController();
    this.runStop = running;
    const safetyScan = fullScanMs > 0 ? this.everyInterval(fullScanMs, running.signal, () => this.syncNow()) : Promise.resolve();
    const polling = this.pollRemote(watchOptions.pollWaitSeconds ?? 60, running.signal);
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    let failuresInARow = 0;
    /** Syncs in a row that ended without converging. */
    let unsettled = 0;
    try {
      while (!this.stopped) {
        if (this.paused || !this.dirty) {
          await new Promise<void>((resolve) => { this.wake = resolve; });
          this.wake = null;
          continue;
        }
        this.dirty = false;
        try {
          const summary = await this.syncOnce();
          failuresInARow = 0;
          // A sync that gave up before converging (failures that outlasted their retries, a plan gone stale
          // again and again) looks again after a growing pause: no file or feed event may ever come to say so.
          unsettled = summary.converged ? 0 : unsettled + 1;
          if (summary.failures.some((f) => WAIT_CODES.has(f.code))) this.retryLater(backoff.maxMs / 2 + this.ports.random() * (backoff.maxMs / 2));
          else if (unsettled > 0) this.retryLater(backoffDelay(backoff, unsettled, this.ports.random));
        } catch (error) {
          if (this.stopped || this.paused) continue;
          if (isSyncError(error) && (error.code === 'signed_out' || error.code === 'sync_root_missing')) throw error;
          failuresInARow += 1;
          this.dirty = true;
          await this.clock.sleep(backoffDelay(backoff, failuresInARow, this.ports.random)).catch(() => {});
        } finally {
          for (const told of this.syncEnded.splice(0)) told();
        }
      }
    } finally {
      this.laterWait?.abort();
      this.watching = false;
      this.deletionsSettled = async () => {};
      // Also when the loop ended by throwing (sync_root_missing): the long poll must end too, or run() never returns.
      this.stopped = true;
      running.abort();
      this.runStop = null;
      await watcher.close();
      await Promise.all([polling, safetyScan]);
      // A later run() starts afresh, e.g. after the user signed out and in again.
      this.stopped = false;
    }
  }

  /** Starts another sync after `delayMs`; one wait at a time (a lasting failure waits half to all of `backoff.maxMs`, jittered, so many clients do not return at once). */
  private retryLater(delayMs: number): void {
    this.laterWait?.abort();
    const wait = new AbortController();
    this.laterWait = wait;
    this.clock.sleep(delayMs, wait.signal).then(() => this.trigger(), () => {});
  }

  private trigger(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Calls `tick` every `ms` on the clock until `signal` ends it. */
  private async everyInterval(ms: number, signal: AbortSignal, tick: () => void): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.clock.sleep(ms, signal);
      } catch {
        return;
      }
      tick();
    }
  }

  /** Resolves when `run` next finishes a sync, or when `signal` ends the wait. */
  private nextSyncEnd(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.syncEnded.push(done);
    });
  }

  /** Long-polls the change feed until `signal` ends it; any change marks the engine dirty. */
  private async pollRemote(waitSeconds: number, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!this.stopped && !signal.aborted) {
      try {
        if (await this.remoteObserver.waitForChanges(waitSeconds, signal)) {
          this.trigger();
          // The feed is ahead of the stored cursor until a sync pulls it: a poll before that
          // answers at once, and again, and again (found by the simulation, test/sim: a hot
          // loop of requests for as long as a round runs or backs off).
          await this.nextSyncEnd(signal);
        }
        failures = 0;
      } catch (error) {
        if (this.stopped || signal.aborted) break;
        if (isSyncError(error) && error.code === 'signed_out') {
          this.setState('signed_out');
          break;
        }
        failures += 1;
        await this.clock.sleep(backoffDelay(this.options.backoff ?? DEFAULT_BACKOFF, failures, this.ports.random), signal).catch(() => {});
      }
    }
  }

  private async round(signal: AbortSignal): Promise<RoundResult> {
    const { state } = this.ports;
    this.setState('scanning');
    // The mass-delete guard must see a whole rm -rf in one plan, not its first events.
    if (this.watching) await this.deletionsSettled();
    this.selection.markChanges(this.planner.changes);
    let plan: RoundPlan;
    try {
      plan = await this.planner.plan(signal, this.watching, this.clock.now());
    } catch (error) {
      throw this.classify(error);
    }
    // A folder whose local copy cannot go yet (say, the trash refused it) stays `leaving`; the rest of the round goes on.
    if (plan.selection) {
      await this.selection.settle(plan.selection).catch((error: unknown) => {
        const e = this.classify(error);
        this.report({ code: e.code, message: e.message, ...(e.detail.path === undefined ? {} : { path: e.detail.path }) });
      });
    }
    this.reportSetAside(plan.setAside);
    const { ops } = plan;
    if (ops.length === 0) return { planned: 0, succeeded: 0, held: 0, failures: [] };
    this.setState('syncing');

    let runnable = ops;
    let held = 0;
    if (!this.massDeleteConfirmed && isMassDelete(ops, plan.baseSize, this.options.massDelete ?? DEFAULT_MASS_DELETE_LIMIT)) {
      runnable = ops.filter((op) => op.type !== 'deleteLocal' && op.type !== 'deleteRemote');
      const localDeletes = ops.filter((op) => op.type === 'deleteLocal').length;
      held = ops.length - runnable.length;
      this.emit({ type: 'massDelete', count: held, side: localDeletes * 2 >= held ? 'local' : 'remote', total: plan.baseSize });
      this.report({ code: 'mass_delete', message: `${held} deletions are waiting for confirmation` });
    }

    const failures: SyncFailure[] = [];
    let succeeded = 0;
    /** Local entries whose names the service refused as case clashes: they move aside (see caseClashAside). */
    const asides: { path: string; local: LocalNode }[] = [];
    const fail = (op: SyncOp, error: unknown) => {
      const path = 'path' in op ? op.path : op.from;
      const e = this.classify(error);
      if (e.code === 'signed_out' || e.code === 'aborted') throw e;
      const aside = caseClashAside(op, e);
      if (aside) asides.push(aside);
      // Every upload fails alike when the netdisk is full: one issue says so, not one per file.
      if (e.detail.serviceCode === 'quota_exceeded') {
        this.report({ code: 'quota_exceeded', message: 'the netdisk is full: uploads wait until files are deleted (and the trash emptied) or the quota is raised' });
      }
      failures.push({ path, code: e.code, message: e.message });
    };
    const treeOps = runnable.filter((op): op is TreeOp => op.type !== 'uploadFile' && op.type !== 'downloadFile');
    const transferOps = runnable.filter((op): op is Extract<SyncOp, TransferOp> => op.type === 'uploadFile' || op.type === 'downloadFile');
    const deletes = treeOps.filter((op) => op.type === 'deleteLocal' || op.type === 'deleteRemote');
    const others = treeOps.filter((op) => op.type !== 'deleteLocal' && op.type !== 'deleteRemote');

    for (const op of others) {
      try {
        this.record(await this.executor.run(op, signal));
        succeeded += 1;
      } catch (error) {
        fail(op, error);
      }
    }
    if (transferOps.length > 0) {
      await this.transfers.run(transferOps, {
        uploaded: (op, remote) => {
          const local = { ...op.local };
          state.write([{ tree: 'local', op: 'upsert', node: local }, { tree: 'base', op: 'upsert', node: agreedBase(local, remote) }]);
          this.record({ at: this.clock.now(), action: 'uploaded', path: op.path });
          succeeded += 1;
        },
        downloaded: (op, local) => {
          state.write([{ tree: 'local', op: 'upsert', node: local }, { tree: 'base', op: 'upsert', node: agreedBase(local, op.remote) }]);
          this.record({ at: this.clock.now(), action: 'downloaded', path: op.path });
          succeeded += 1;
        },
        failed: (op, error) => fail(op, error),
      }, signal).catch((error: unknown) => { throw this.classify(error); });
    }
    for (const { path, local } of asides) {
      try {
        this.record(await this.executor.moveAside(path, conflictedCopyName(path, this.options.host, new Date(this.clock.now())), local));
        succeeded += 1;
      } catch (error) {
        const e = this.classify(error);
        failures.push({ path, code: e.code, message: e.message });
      }
    }
    for (const op of deletes) {
      try {
        this.record(await this.executor.run(op, signal));
        succeeded += 1;
      } catch (error) {
        fail(op, error);
      }
    }
    if (held > 0 && this.massDeleteConfirmed) this.massDeleteConfirmed = false;
    return { planned: runnable.length + held, succeeded, held, failures };
  }

  private classify(error: unknown): SyncError {
    const e = isSyncError(error) ? error : new SyncError('internal', error instanceof Error ? error.message : String(error), { cause: error });
    if (e.code === 'network') this.setState('offline');
    else if (e.code === 'signed_out') this.setState('signed_out');
    else if (e.code === 'sync_root_missing') {
      this.setState('error', e.message);
      this.report({ code: e.code, message: e.message });
    } else if (DISK_ISSUES.has(e.code)) {
      // A disk (here or the service's) is full or failing: one visible issue, not one per file; rounds retry later.
      this.report({ code: e.code, message: e.message });
    }
    return e;
  }

  private record(activity: Activity | null): void {
    if (!activity) return;
    this.activity.push(activity);
    if (this.activity.length > RECENT_ACTIVITY) this.activity.shift();
    this.emit({ type: 'activity', activity });
  }

  /**
   * Tells what is set aside as unsyncable here. The list is kept in the state
   * (a restart that skips planning because nothing changed still tells it): a
   * plan over the whole trees replaces it, an incremental one replaces only
   * the entries under the paths it planned.
   */
  private reportSetAside(found: SetAsideFinding | null): void {
    const { state } = this.ports;
    const kept = JSON.parse(state.getSetting(SET_ASIDE_KEY) ?? '[]') as UnsyncableEntry[];
    const told = found === null ? kept : mergeSetAside(kept, found);
    if (found !== null) state.setSetting(SET_ASIDE_KEY, JSON.stringify(told));
    for (const entry of told) {
      this.report({ code: 'invalid_name', message: `${entry.path} can't be synced to this computer: ${entry.reason}; it stays on the service as it is`, path: entry.path });
    }
  }

  /** Each issue is told once per path and code, not every round. */
  private report(issue: EngineIssue): void {
    const key = `${issue.code}:${issue.path ?? ''}`;
    if (this.reportedIssues.has(key)) return;
    this.reportedIssues.add(key);
    this.emit({ type: 'issue', issue });
  }

  private setState(state: EngineState, detail?: string): void {
    if (this.paused && state !== 'paused') return;
    if (state === this.stateValue && detail === undefined) return;
    this.stateValue = state;
    this.emit(detail === undefined ? { type: 'state', state } : { type: 'state', state, detail });
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
