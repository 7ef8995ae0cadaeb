import type { Activity, EngineState, Transfer } from '../../protocol/engine.js';
import type { Clock } from '../clock.js';
import type { StateStore } from '../db/stateStore.js';
import type { Hasher } from '../hash/hasher.js';
import { IgnoreRules } from '../local/ignore.js';
import type { LocalFs } from '../local/localFs.js';
import { LocalPaths } from '../local/localPaths.js';
import { Scanner } from '../local/scanner.js';
import type { LocalTrash } from '../local/trash.js';
import type { WatchFolder } from '../local/watcher.js';
import type { RemoteStore } from '../remote/remoteStore.js';
import { DEFAULT_MASS_DELETE_LIMIT, type MassDeleteLimit } from '../sync/massDelete.js';
import { DEFAULT_BACKOFF, type BackoffPolicy } from '../base/backoff.js';
import { partialDirOf } from '../transfer/partialFiles.js';
import { TokenBucket } from '../transfer/tokenBucket.js';
import { EngineEvents, type EngineListener } from './engineEvents.js';
import { LocalOps } from './execute/localOps.js';
import { OpExecutor } from './execute/opExecutor.js';
import { ProgressTracker } from './execute/progressTracker.js';
import { TransferRunner } from './execute/transferRunner.js';
import { FolderChoices } from './folderChoices.js';
import { FolderSelection } from './plan/folderSelection.js';
import { LocalObserver } from './plan/localObserver.js';
import { RemoteObserver } from './plan/remoteObserver.js';
import { RoundPlanner } from './plan/roundPlanner.js';
import { SyncRound } from './syncRound.js';
import { SyncScheduler, type SyncSummary, type WatchOptions } from './syncScheduler.js';

export type { SyncFailure } from './syncRound.js';
export type { SyncSummary } from './syncScheduler.js';

/**
 * Files asked of the hasher at once by a walk. The pool hashes small files
 * many per task from those asked together, so this is its batch size too:
 * at 8, a folder of small files cost a task message per ~4 files.
 */
const HASH_CONCURRENCY = 128;

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
  watch?: WatchOptions;
  /** Whose file-name and path rules apply locally (default: this process's platform); tests inject 'win32'. */
  platform?: NodeJS.Platform;
  /** Tree nodes a plan over the whole trees holds at a time (RoundPlanner); tests make it tiny. */
  wholePlanNodes?: number;
}

/**
 * The sync engine's facade, what syncClient, the CLI and the desktop app
 * call: plain data out (typed events, summaries), a few commands in. Behind
 * it, the scheduler (syncScheduler.ts) decides when rounds run; a round
 * (syncRound.ts) observes both sides and plans (plan/), guards the plan and
 * carries it out (execute/). This class only builds those parts from the
 * ports and hands each command to the part it belongs to.
 */
export class SyncEngine {
  /** Selective sync: which remote folders this computer keeps; a change starts a round. */
  readonly folders: FolderChoices;
  private readonly events = new EngineEvents();
  private readonly round: SyncRound;
  private readonly scheduler: SyncScheduler;
  private readonly tracker: ProgressTracker;
  private readonly uploadBucket: TokenBucket;
  private readonly downloadBucket: TokenBucket;

  constructor(ports: SyncEnginePorts, options: SyncEngineOptions) {
    const { clock, state } = ports;
    const events = this.events;
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    const paths = new LocalPaths(options.root, { platform: options.platform, fs: ports.fs });
    const rules = new IgnoreRules(options.root, ports.fs);
    const scanner = new Scanner(options.root, { rules, platform: options.platform, fs: ports.fs });
    const remoteObserver = new RemoteObserver(ports.remote, state);
    const selection = new FolderSelection(state, paths, ports.trash);
    this.folders = new FolderChoices(state, () => this.scheduler.trigger());
    const planner = new RoundPlanner(new LocalObserver(scanner, ports.hasher, state, paths, HASH_CONCURRENCY), remoteObserver, state, {
      root: options.root,
      host: options.host,
      onIssue: (issue) => events.report({ code: issue.code, message: issue.message, path: issue.path }),
      onRefused: (refused) => events.report({
        code: 'invalid_remote_path',
        message: `the service sent a path this client refuses: ${refused.path} (${refused.reason}); it was left out`,
        path: refused.path,
      }),
      unsyncableReason: (path) => paths.ownReason(path),
      select: (trees, now) => selection.apply(trees, options.host, now),
      ...(options.wholePlanNodes === undefined ? {} : { wholePlanNodes: options.wholePlanNodes }),
    });
    const executor = new OpExecutor(ports.remote, new LocalOps(paths, ports.trash), state, () => clock.now());
    this.tracker = new ProgressTracker(() => clock.now(),
      (transfer) => events.emit({ type: 'transfer', transfer }),
      (progress) => events.emit({ type: 'progress', progress }));
    this.uploadBucket = new TokenBucket(options.uploadLimit ?? 0, clock);
    this.downloadBucket = new TokenBucket(options.downloadLimit ?? 0, clock);
    const transfers = new TransferRunner({
      remote: ports.remote,
      hasher: ports.hasher,
      jobs: state.jobs,
      paths,
      partialDir: partialDirOf(options.root),
      upload: this.uploadBucket,
      download: this.downloadBucket,
      clock,
      host: options.host,
      chunkConcurrency: options.chunkConcurrency ?? 3,
      onBytes: (jobId, bytes) => this.tracker.bytes(jobId, bytes),
    }, state.jobs, this.tracker, clock, {
      fileConcurrency: options.fileConcurrency ?? 4,
      backoff,
      random: ports.random,
    });
    this.round = new SyncRound({ planner, selection, executor, transfers, state, events, clock }, {
      host: options.host,
      massDelete: options.massDelete ?? DEFAULT_MASS_DELETE_LIMIT,
    });
    this.scheduler = new SyncScheduler({
      round: this.round, changes: planner.changes, remoteObserver, rules, watch: ports.watch, events, clock, random: ports.random,
    }, { root: options.root, backoff, maxRounds: options.maxRounds ?? 50, watch: options.watch ?? {} });
    // A crash left these running; their finished chunks stay finished.
    state.jobs.requeueRunningJobs(clock.now());
  }

  get state(): EngineState {
    return this.events.state;
  }

  /** Subscribes to engine events; returns the unsubscribe function. */
  on(listener: EngineListener): () => void {
    return this.events.on(listener);
  }

  currentTransfers(): Transfer[] {
    return this.tracker.transfers();
  }

  recentActivity(): Activity[] {
    return this.events.recentActivity();
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
    this.scheduler.syncNow();
  }

  /** Lets the deletions of the latest mass-delete hold (the one the user was shown) go ahead in the next round. */
  confirmMassDelete(): void {
    this.round.confirmMassDelete();
    this.scheduler.trigger();
  }

  /** Stops dispatching and aborts what is in flight; persisted chunk state lets `resume` go on. */
  pause(): void {
    this.scheduler.pause();
  }

  resume(): void {
    this.scheduler.resume();
  }

  /** Ends `run` (or the current sync) cleanly. */
  async stop(): Promise<void> {
    this.scheduler.stop();
  }

  /** Syncs until both sides agree (or no round makes progress), then returns. */
  syncOnce(): Promise<SyncSummary> {
    return this.scheduler.syncOnce();
  }

  /** Watches both sides and syncs whenever either changes, until `stop`. */
  run(): Promise<void> {
    return this.scheduler.run();
  }
}
