import type { Clock } from '../clock.js';
import { SyncError, isSyncError } from '../errors.js';
import type { IgnoreRules } from '../local/ignore.js';
import type { FolderWatcher, WatchFolder } from '../local/watcher.js';
import { backoffDelay, type BackoffPolicy } from '../base/backoff.js';
import { isLastingFailure } from './classifyError.js';
import type { EngineEvents } from './engineEvents.js';
import type { ChangeTracker } from './plan/changeTracker.js';
import type { RemoteObserver } from './plan/remoteObserver.js';
import type { RoundResult, SyncFailure, SyncRound } from './syncRound.js';

export interface WatchOptions {
  debounceMs?: number;
  stabilityMs?: number;
  pollWaitSeconds?: number;
  /**
   * While watching, rounds look only at what the watcher reported; this
   * often (ms) a full walk of the folder checks for events the watcher
   * missed. 0: never. Default: DEFAULT_FULL_SCAN_INTERVAL_MS.
   */
  fullScanIntervalMs?: number;
}

/** The safety scan while watching: once an hour. */
export const DEFAULT_FULL_SCAN_INTERVAL_MS = 60 * 60 * 1000;

export interface SyncSummary {
  /** Both sides agree (apart from held-back deletes). */
  converged: boolean;
  rounds: number;
  failures: SyncFailure[];
  /** Deletes waiting for the user's confirmation (mass-delete guard). */
  heldDeletes: number;
}

/** What the scheduler drives and listens to. */
export interface SchedulerParts {
  round: SyncRound;
  /** What the watcher reported, for the round to look at (the planner's tracker). */
  changes: ChangeTracker;
  /** Long-polls the change feed. */
  remoteObserver: RemoteObserver;
  rules: IgnoreRules;
  watch: WatchFolder;
  events: EngineEvents;
  clock: Clock;
  random: () => number;
}

export interface SchedulerOptions {
  root: string;
  backoff: BackoffPolicy;
  /** Rounds of plan-and-execute in one sync before giving up on convergence. */
  maxRounds: number;
  watch: WatchOptions;
}

/**
 * When rounds run. A sync repeats rounds until a plan is empty (or no round
 * makes progress), pausing after a round that failed to observe. While
 * watching, a sync starts when the watcher, the change feed's long poll, the
 * hourly safety scan or the user says something changed; after a sync that
 * failed or did not converge it looks again after a growing, jittered pause.
 * Pause, resume and stop abort what is in flight.
 */
export class SyncScheduler {
  private paused = false;
  private stopped = false;
  private roundController: AbortController | null = null;
  private wake: (() => void) | null = null;
  /** The pending look-again after a lasting failure (see isLastingFailure). */
  private laterWait: AbortController | null = null;
  /** While `run` runs: aborted by `stop` to end the long poll and the safety scan's wait at once. */
  private runStop: AbortController | null = null;
  /** Told when `run` finished a sync (or gave up on one): the long poll waits for that after it saw news. */
  private syncEnded: (() => void)[] = [];
  private dirty = true;
  /** While `run` watches: the watcher feeds the planner's change tracker, so rounds may be incremental. */
  private watcher: FolderWatcher | null = null;

  constructor(private readonly parts: SchedulerParts, private readonly options: SchedulerOptions) {}

  /** Starts a sync as soon as `run` is free. */
  trigger(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Starts a sync that walks the whole folder: the user (or a suspend) may know of changes the watcher did not report. */
  syncNow(): void {
    this.parts.changes.requestFullScan();
    this.trigger();
  }

  /** Stops dispatching and aborts what is in flight; persisted chunk state lets `resume` go on. */
  pause(): void {
    this.paused = true;
    this.roundController?.abort(new SyncError('aborted', 'paused'));
    this.parts.events.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.parts.events.resume();
    this.trigger();
  }

  stop(): void {
    this.stopped = true;
    this.runStop?.abort();
    this.roundController?.abort(new SyncError('aborted', 'stopped'));
    this.trigger();
  }

  /** Syncs until both sides agree (or no round makes progress), then returns. */
  async syncOnce(): Promise<SyncSummary> {
    const { round, rules, events, clock, random } = this.parts;
    const { backoff, maxRounds } = this.options;
    await rules.load();
    const failures = new Map<string, SyncFailure>();
    let stuckRounds = 0;
    let failedRounds = 0;
    let held = 0;
    for (let count = 1; count <= maxRounds; count++) {
      if (this.stopped) break;
      const controller = new AbortController();
      this.roundController = controller;
      let result: RoundResult;
      try {
        result = await round.run(controller.signal, this.watcher);
        failedRounds = 0;
      } catch (error) {
        // A transient failure to observe either side (network, 5xx) is worth another round after a pause, not the end of the sync.
        if (!isSyncError(error) || !error.retryable || ++failedRounds >= backoff.maxAttempts) throw error;
        await clock.sleep(backoffDelay(backoff, failedRounds, random), controller.signal);
        continue;
      } finally {
        this.roundController = null;
      }
      held = result.held;
      for (const failure of result.failures) failures.set(failure.path, failure);
      if (result.planned === 0 || result.planned === result.held) {
        events.setState('idle');
        // Nothing left to do but held deletes: whatever failed in an earlier round (a stale plan, a transient error) was overcome since.
        return { converged: true, rounds: count, failures: [], heldDeletes: held };
      }
      stuckRounds = result.succeeded === 0 ? stuckRounds + 1 : 0;
      if (stuckRounds >= 3 || (result.succeeded === 0 && result.failures.some((f) => isLastingFailure(f.code)))) break;
    }
    events.setState(failures.size > 0 ? 'error' : 'idle');
    return { converged: false, rounds: maxRounds, failures: [...failures.values()], heldDeletes: held };
  }

  /** Watches both sides and syncs whenever either changes, until `stop`. */
  async run(): Promise<void> {
    const { changes, clock, random } = this.parts;
    const { watch: watchOptions, backoff } = this.options;
    const watcher = this.watchFolder();
    await watcher.start();
    // Whatever changed before the watcher was ready is found by a full walk.
    changes.requestFullScan();
    this.watcher = watcher;
    const fullScanMs = watchOptions.fullScanIntervalMs ?? DEFAULT_FULL_SCAN_INTERVAL_MS;
    // Ends the long poll and the safety scan's wait when the loop ends.
    const running = new AbortController();
    this.runStop = running;
    const safetyScan = fullScanMs > 0 ? this.everyInterval(fullScanMs, running.signal, () => this.syncNow()) : Promise.resolve();
    const polling = this.pollRemote(watchOptions.pollWaitSeconds ?? 60, running.signal);
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
          if (summary.failures.some((f) => isLastingFailure(f.code))) this.retryLater(backoff.maxMs / 2 + random() * (backoff.maxMs / 2));
          else if (unsettled > 0) this.retryLater(backoffDelay(backoff, unsettled, random));
        } catch (error) {
          if (this.stopped || this.paused) continue;
          if (isSyncError(error) && (error.code === 'signed_out' || error.code === 'sync_root_missing')) throw error;
          failuresInARow += 1;
          this.dirty = true;
          await clock.sleep(backoffDelay(backoff, failuresInARow, random)).catch(() => {});
        } finally {
          for (const told of this.syncEnded.splice(0)) told();
        }
      }
    } finally {
      this.laterWait?.abort();
      this.watcher = null;
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

  /** The folder's watcher: what it reports goes to the change tracker and starts a sync. */
  private watchFolder(): FolderWatcher {
    const { changes, rules, events, watch } = this.parts;
    const { debounceMs, stabilityMs } = this.options.watch;
    return watch(this.options.root, {
      rules,
      onEvent: (path, realPath) => changes.markLocal(path, realPath),
      onChange: (change) => {
        if (change.reason === 'ignore_rules_changed') {
          void rules.load();
          changes.requestFullScan();
        } else {
          changes.markLocal(change.path, change.realPath);
        }
        this.trigger();
      },
      // Events may have been lost (say, out of inotify watches): walk everything next.
      onError: (error) => {
        events.report({ code: error.code, message: error.message });
        changes.requestFullScan();
        this.trigger();
      },
      ...(debounceMs === undefined ? {} : { debounceMs }),
      ...(stabilityMs === undefined ? {} : { stabilityMs }),
    });
  }

  /** Starts another sync after `delayMs`; one wait at a time (a lasting failure waits half to all of `backoff.maxMs`, jittered, so many clients do not return at once). */
  private retryLater(delayMs: number): void {
    this.laterWait?.abort();
    const wait = new AbortController();
    this.laterWait = wait;
    this.parts.clock.sleep(delayMs, wait.signal).then(() => this.trigger(), () => {});
  }

  /** Calls `tick` every `ms` on the clock until `signal` ends it. */
  private async everyInterval(ms: number, signal: AbortSignal, tick: () => void): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.parts.clock.sleep(ms, signal);
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

  /** Long-polls the change feed until `signal` ends it; any change starts a sync. */
  private async pollRemote(waitSeconds: number, signal: AbortSignal): Promise<void> {
    const { remoteObserver, events, clock, random } = this.parts;
    let failures = 0;
    while (!this.stopped && !signal.aborted) {
      try {
        if (await remoteObserver.waitForChanges(waitSeconds, signal)) {
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
          events.setState('signed_out');
          break;
        }
        failures += 1;
        await clock.sleep(backoffDelay(this.options.backoff, failures, random), signal).catch(() => {});
      }
    }
  }
}
