import { isSameOrBelow } from '../../../protocol/paths.js';
import type { StateStore } from '../../db/stateStore.js';
import type { ScanIssue } from '../../local/scanner.js';
import type { RefusedRemoteEntry } from '../../model.js';
import type { SyncOp } from '../../sync/ops.js';
import { planSync, type SyncTrees } from '../../sync/planner.js';
import { keepLeavingOps, opPaths, type Selection } from '../../sync/selective.js';
import { setAsideUnsyncable, type SetAsideFinding } from '../../sync/unsyncable.js';
import { ChangeTracker, type RoundWork } from './changeTracker.js';
import type { SelectionFinding } from './folderSelection.js';
import { checkRootNotEmptied, type LocalObserver } from './localObserver.js';
import type { RemoteObserver } from './remoteObserver.js';
import { loadScopedTrees, wholeTreeScopes, type ScopedTrees } from './scopedTrees.js';

export interface RoundPlan {
  ops: SyncOp[];
  /** Synced entries the base holds: what the mass-delete guard compares against. */
  baseSize: number;
  /** What the plan set aside as unsyncable here; null when no plan was made (nothing changed). */
  setAside: SetAsideFinding | null;
  /** What the folder rules (selective sync) did to the plan; null when no plan was made. */
  selection: SelectionFinding | null;
}

interface PlannedTrees {
  ops: SyncOp[];
  setAside: SetAsideFinding;
  selection: SelectionFinding & { selection: Selection };
}

export interface RoundPlannerOptions {
  root: string;
  host: string;
  onIssue: (issue: ScanIssue) => void;
  /** An entry the service sent that the client refused (left out of the remote tree). */
  onRefused: (entry: RefusedRemoteEntry) => void;
  /** Why a remote path cannot exist on this computer, null when it can (LocalPaths.ownReason). */
  unsyncableReason: (path: string) => string | null;
  /** Applies the selective-sync folder rules to the trees (FolderSelection.apply). */
  select: (trees: SyncTrees, now: number) => Selection;
  /** Nodes a plan over the whole trees loads at a time (see wholeTreeScopes); default WHOLE_PLAN_NODES. */
  wholePlanNodes?: number;
}

/**
 * A plan over the whole trees goes through them this many nodes at a time:
 * large enough that a scope's queries stay a small share of the plan, small
 * enough that the three trees of a 100,000-file folder are never in memory at once.
 */
const WHOLE_PLAN_NODES = 10_000;

/**
 * The first half of a round: observe both sides and plan. Without a watcher
 * every round walks the whole folder and plans the whole trees. While the
 * engine watches, a round looks again only at the paths the watcher named
 * and plans only them, the remote changes and what an unfinished plan left,
 * reading just those parts of the trees from the database; a full walk
 * happens when the tracker asks for one (start, watcher error, safety scan).
 */
export class RoundPlanner {
  readonly changes = new ChangeTracker();

  constructor(
    private readonly localObserver: LocalObserver,
    private readonly remoteObserver: RemoteObserver,
    private readonly state: StateStore,
    private readonly options: RoundPlannerOptions,
  ) {}

  /** `watching`: a watcher feeds the tracker; otherwise nothing tells what changed and the round is full. */
  async plan(signal: AbortSignal, watching: boolean, now: number): Promise<RoundPlan> {
    if (!watching) this.changes.requestFullScan();
    const work = this.changes.take();
    try {
      const plan = await this.planWork(work, signal, now);
      // Not done yet: the next round plans the same again (and whatever the ops create, like a conflicted copy).
      if (plan.ops.length > 0) this.changes.markPlan([...plan.scope, ...plan.ops.flatMap(opPaths)]);
      return plan;
    } catch (error) {
      this.changes.putBack(work);
      throw error;
    }
  }

  private async planWork(work: RoundWork, signal: AbortSignal, now: number): Promise<RoundPlan & { scope: string[] }> {
    const { state } = this;
    let observedRoots: string[] = [];
    /** An incremental round that had to walk the whole folder plans the whole trees, as a full round does. */
    let walkedAll = false;
    if (work.fullScan) {
      const observed = await this.localObserver.observe(signal);
      for (const issue of observed.issues) this.options.onIssue(issue);
    } else if (work.observe.length > 0) {
      const observed = await this.localObserver.observePaths(work.observe, signal);
      for (const issue of observed.issues) this.options.onIssue(issue);
      observedRoots = observed.roots;
      if (state.count('local') === 0 && state.count('base') > 0) {
        // The paths the watcher named leave the local tree empty: a rename's old name may have gone
        // before the event of its new name came (or that event was lost). Only a walk of the whole
        // folder may call it empty and stop the sync (found by the simulation, test/sim).
        const walked = await this.localObserver.observe(signal);
        for (const issue of walked.issues) this.options.onIssue(issue);
        walkedAll = true;
      }
    }
    const pulled = await this.remoteObserver.pull(signal);
    for (const refused of pulled.refused) this.options.onRefused(refused);
    const none = { ops: [], baseSize: 0, setAside: null, selection: null, scope: [] };

    if (work.fullPlan || pulled.relisted || walkedAll) {
      // Neither side changed since a plan came out empty: skip loading the base
      // and remote trees (a restart over 100k unchanged files stays far lower in memory).
      if (state.converged()) return none;
      const baseSize = state.count('base');
      checkRootNotEmptied(state.count('local'), baseSize, this.options.root);
      const planned = this.planWhole(now);
      if (planned.ops.length === 0) state.markConverged();
      // Paths a full plan deferred (a move waiting for its folder) have no op to name them: plan everything again.
      else this.changes.requestFullPlan();
      return { ...planned, baseSize, scope: [] };
    }

    const roots = [...work.plan, ...observedRoots, ...pulled.paths];
    if (roots.length === 0) return none;
    const baseSize = state.count('base');
    if (observedRoots.length > 0) checkRootNotEmptied(state.count('local'), baseSize, this.options.root);
    const scoped: ScopedTrees = loadScopedTrees(state, roots);
    return { ...this.planTrees(scoped, scoped.roots, now), baseSize, scope: scoped.roots };
  }

  /**
   * Plans the whole trees a scope at a time (wholeTreeScopes) and joins the
   * parts as one plan over everything: findings with a null scope, and, as
   * planTrees does, only the moves out of excluded folders' way when there
   * are any. Such a move is made for a folder rule whatever the scope (the
   * trees answer `get` for any path), so each is kept from the scope that holds its path.
   */
  private planWhole(now: number): Pick<RoundPlan, 'ops' | 'setAside' | 'selection'> {
    const asideOps: SyncOp[] = [];
    const planOps: SyncOp[] = [];
    const unsyncable: SetAsideFinding['entries'] = [];
    const newlyExcluded: string[] = [];
    const gone = new Set<string>();
    let leaving: ReadonlySet<string> = new Set();
    for (const scope of wholeTreeScopes(this.state, this.options.wholePlanNodes ?? WHOLE_PLAN_NODES)) {
      const part = this.planTrees(scope, scope.roots, now);
      const { selection } = part.selection;
      const inScope = (op: SyncOp) => 'path' in op && scope.roots.some((root) => isSameOrBelow(op.path, root));
      if (selection.ops.length > 0) asideOps.push(...selection.ops.filter(inScope));
      else planOps.push(...part.ops);
      unsyncable.push(...part.setAside.entries);
      newlyExcluded.push(...selection.newlyExcluded);
      for (const path of selection.gone) gone.add(path);
      leaving = selection.leaving;
    }
    const ops = asideOps.length > 0 ? asideOps : planOps;
    return {
      ops,
      setAside: { entries: unsyncable, scope: null },
      selection: { selection: { newlyExcluded, gone: [...gone], leaving }, ops, scope: null },
    };
  }

  /** Plans `trees` (whole: `scope` null) without the unsyncable entries and as the folder rules say. */
  private planTrees(trees: SyncTrees, scope: readonly string[] | null, now: number): PlannedTrees {
    const { trees: syncable, unsyncable } = setAsideUnsyncable(trees, this.options.unsyncableReason);
    const selection = this.options.select(syncable, now);
    // Local entries moved out of an excluded folder's way go first, alone: a local rename into that name then
    // shows up, next round, as a rename to the conflicted copy (replayed remotely), not as a deletion.
    const ops = selection.ops.length > 0 ? selection.ops : keepLeavingOps(planSync(selection.trees, { host: this.options.host, now }), selection.leaving);
    return { ops, setAside: { entries: unsyncable, scope }, selection: { selection, ops, scope } };
  }
}
