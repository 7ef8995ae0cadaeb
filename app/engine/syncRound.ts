import type { Clock } from '../clock.js';
import type { SyncError } from '../errors.js';
import type { StateStore } from '../db/stateStore.js';
import type { FolderWatcher } from '../local/watcher.js';
import type { LocalNode } from '../model.js';
import { conflictedCopyName } from '../sync/conflictName.js';
import type { MassDeleteLimit } from '../sync/massDelete.js';
import { agreedBase, isDeleteOp, type SyncOp } from '../sync/ops.js';
import { mergeSetAside, type SetAsideFinding, type UnsyncableEntry } from '../sync/unsyncable.js';
import { classifyError } from './classifyError.js';
import type { EngineEvents } from './engineEvents.js';
import { MassDeleteGuard } from './massDeleteGuard.js';
import type { OpExecutor, TreeOp } from './execute/opExecutor.js';
import type { TransferOp, TransferRunner } from './execute/transferRunner.js';
import type { FolderSelection } from './plan/folderSelection.js';
import type { RoundPlan, RoundPlanner } from './plan/roundPlanner.js';

export interface SyncFailure {
  path: string;
  code: string;
  message: string;
}

export interface RoundResult {
  planned: number;
  succeeded: number;
  held: number;
  failures: SyncFailure[];
}

/** What a round works with: the planner (plan/), the executors (execute/), the state and the events. */
export interface RoundParts {
  planner: RoundPlanner;
  selection: FolderSelection;
  executor: OpExecutor;
  transfers: TransferRunner;
  state: StateStore;
  events: EngineEvents;
  clock: Clock;
}

export interface RoundOptions {
  /** This machine's name, for conflicted copies. */
  host: string;
  massDelete: MassDeleteLimit;
}

/** Longest a round waits for a stream of deletions to end (a program deleting forever must not stall sync). */
const MAX_DELETION_WAIT_MS = 60_000;

/** State setting: the entries the last plan set aside as unsyncable on this computer (JSON). */
const SET_ASIDE_KEY = 'sync.setAside';

const isTransfer = (op: SyncOp): op is Extract<SyncOp, TransferOp> => op.type === 'uploadFile' || op.type === 'downloadFile';

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
 * One round: observe both sides and plan (plan/), pass the plan through the
 * guards, carry it out (execute/). The guards: an emptied or vanished folder
 * stops the round before anything is planned (the planner's
 * checkRootNotEmptied), and a plan that deletes too much of the tree runs
 * without its deletions until the user confirms them (the mass-delete guard).
 */
export class SyncRound {
  private readonly massDelete: MassDeleteGuard;

  constructor(private readonly parts: RoundParts, private readonly options: RoundOptions) {
    this.massDelete = new MassDeleteGuard(options.massDelete);
  }

  /** Lets the deletions of the latest mass-delete hold go ahead in the next round (see MassDeleteGuard). */
  confirmMassDelete(): void {
    this.massDelete.confirm();
  }

  /** `watcher`: the folder's watcher while the engine watches (the round is incremental then), else null. */
  async run(signal: AbortSignal, watcher: FolderWatcher | null): Promise<RoundResult> {
    const { planner, selection, events, clock } = this.parts;
    events.setState('scanning');
    // The mass-delete guard must see a whole rm -rf in one plan, not its first events.
    if (watcher) await watcher.deletionsSettled(MAX_DELETION_WAIT_MS);
    selection.markChanges(planner.changes);
    let plan: RoundPlan;
    try {
      plan = await planner.plan(signal, watcher !== null, clock.now());
    } catch (error) {
      throw classifyError(error, events);
    }
    // A folder whose local copy cannot go yet (say, the trash refused it) stays `leaving`; the rest of the round goes on.
    if (plan.selection) {
      await selection.settle(plan.selection).catch((error: unknown) => {
        const e = classifyError(error, events);
        events.report({ code: e.code, message: e.message, ...(e.detail.path === undefined ? {} : { path: e.detail.path }) });
      });
    }
    this.reportSetAside(plan.setAside);
    const { ops } = plan;
    // Also when the plan is empty: a confirmation is for the plan that follows it, not for a later one.
    const { runnable, held } = this.massDelete.check(ops, plan.baseSize);
    if (ops.length === 0) return { planned: 0, succeeded: 0, held: 0, failures: [] };
    events.setState('syncing');
    if (held.length > 0) {
      const localDeletes = held.filter((op) => op.type === 'deleteLocal').length;
      events.emit({ type: 'massDelete', count: held.length, side: localDeletes * 2 >= held.length ? 'local' : 'remote', total: plan.baseSize });
      events.report({ code: 'mass_delete', message: `${held.length} deletions are waiting for confirmation` });
    }
    const { succeeded, failures } = await this.execute(runnable, signal);
    return { planned: runnable.length + held.length, succeeded, held: held.length, failures };
  }

  /** Carries out `ops`: other tree changes, then transfers, then case-clash asides, then deletions. */
  private async execute(ops: readonly SyncOp[], signal: AbortSignal): Promise<Pick<RoundResult, 'succeeded' | 'failures'>> {
    const { executor, transfers, state, events, clock } = this.parts;
    const failures: SyncFailure[] = [];
    let succeeded = 0;
    /** Local entries whose names the service refused as case clashes: they move aside (see caseClashAside). */
    const asides: { path: string; local: LocalNode }[] = [];
    const fail = (op: SyncOp, error: unknown) => {
      const path = 'path' in op ? op.path : op.from;
      const e = classifyError(error, events);
      if (e.code === 'signed_out' || e.code === 'aborted') throw e;
      const aside = caseClashAside(op, e);
      if (aside) asides.push(aside);
      // Every upload fails alike when the netdisk is full: one issue says so, not one per file.
      if (e.detail.serviceCode === 'quota_exceeded') {
        events.report({ code: 'quota_exceeded', message: 'the netdisk is full: uploads wait until files are deleted (and the trash emptied) or the quota is raised' });
      }
      failures.push({ path, code: e.code, message: e.message });
    };
    const treeOps = ops.filter((op): op is TreeOp => !isTransfer(op));
    const transferOps = ops.filter(isTransfer);
    const deletes = treeOps.filter(isDeleteOp);
    const others = treeOps.filter((op) => !isDeleteOp(op));

    const runTreeOps = async (list: readonly TreeOp[]) => {
      for (const op of list) {
        try {
          events.record(await executor.run(op, signal));
          succeeded += 1;
        } catch (error) {
          fail(op, error);
        }
      }
    };
    await runTreeOps(others);
    if (transferOps.length > 0) {
      await transfers.run(transferOps, {
        uploaded: (op, remote) => {
          const local = { ...op.local };
          state.write([{ tree: 'local', op: 'upsert', node: local }, { tree: 'base', op: 'upsert', node: agreedBase(local, remote) }]);
          events.record({ at: clock.now(), action: 'uploaded', path: op.path });
          succeeded += 1;
        },
        downloaded: (op, local) => {
          state.write([{ tree: 'local', op: 'upsert', node: local }, { tree: 'base', op: 'upsert', node: agreedBase(local, op.remote) }]);
          events.record({ at: clock.now(), action: 'downloaded', path: op.path });
          succeeded += 1;
        },
        failed: (op, error) => fail(op, error),
      }, signal).catch((error: unknown) => { throw classifyError(error, events); });
    }
    for (const { path, local } of asides) {
      try {
        events.record(await executor.moveAside(path, conflictedCopyName(path, this.options.host, new Date(clock.now())), local));
        succeeded += 1;
      } catch (error) {
        const e = classifyError(error, events);
        failures.push({ path, code: e.code, message: e.message });
      }
    }
    await runTreeOps(deletes);
    return { succeeded, failures };
  }

  /**
   * Tells what is set aside as unsyncable here. The list is kept in the state
   * (a restart that skips planning because nothing changed still tells it): a
   * plan over the whole trees replaces it, an incremental one replaces only
   * the entries under the paths it planned.
   */
  private reportSetAside(found: SetAsideFinding | null): void {
    const { state, events } = this.parts;
    const kept = JSON.parse(state.getSetting(SET_ASIDE_KEY) ?? '[]') as UnsyncableEntry[];
    const told = found === null ? kept : mergeSetAside(kept, found);
    if (found !== null) state.setSetting(SET_ASIDE_KEY, JSON.stringify(told));
    for (const entry of told) {
      events.report({ code: 'invalid_name', message: `${entry.path} can't be synced to this computer: ${entry.reason}; it stays on the service as it is`, path: entry.path });
    }
  }
}
