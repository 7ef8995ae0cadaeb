import type { ScanTarget } from '../../local/scanner.js';
import { DirtyPaths, outermost } from './dirtyPaths.js';

/** What one round must look at, taken out of the tracker when the round starts. */
export interface RoundWork {
  /** Walk the whole folder (and plan everything). */
  fullScan: boolean;
  /** Plan over the whole trees, e.g. after the remote tree was relisted. */
  fullPlan: boolean;
  /** Local paths to look at again (each with its subtree when a folder). */
  observe: ScanTarget[];
  /** Paths to plan besides the observed ones (each with its subtree): remote changes, earlier unfinished plans. */
  plan: string[];
}

/**
 * What changed since the last round and must be looked at: the dirty set of
 * an incremental engine. Watcher events add local paths, the change feed adds
 * remote ones; a plan that did not finish keeps its paths for the next
 * round. A full scan is asked for at start, after a watcher error (events
 * may have been lost), on the user's "sync now", on ignore-rule changes and
 * on the periodic safety scan.
 */
export class ChangeTracker {
  private readonly local = new DirtyPaths();
  private readonly scope = new Set<string>();
  private fullScan = true;
  private fullPlan = true;

  /** A watcher saw this path change (or start to). */
  markLocal(path: string, realPath: string): void {
    this.local.add(path, realPath);
  }

  /** Plan these paths (and their subtrees) in the next round. */
  markPlan(paths: Iterable<string>): void {
    for (const path of paths) this.scope.add(path);
  }

  requestFullScan(): void {
    this.fullScan = true;
  }

  requestFullPlan(): void {
    this.fullPlan = true;
  }

  /** True when a round has something to look at. */
  get pending(): boolean {
    return this.fullScan || this.fullPlan || this.local.size > 0 || this.scope.size > 0;
  }

  take(): RoundWork {
    const work: RoundWork = {
      fullScan: this.fullScan,
      fullPlan: this.fullPlan || this.fullScan,
      observe: this.local.take(),
      plan: outermost([...this.scope].map((path) => ({ path }))).map((entry) => entry.path),
    };
    this.fullScan = false;
    this.fullPlan = false;
    this.scope.clear();
    return work;
  }

  /** The round did not finish what it took: the next round looks at it again. */
  putBack(work: RoundWork): void {
    if (work.fullScan) this.fullScan = true;
    if (work.fullPlan) this.fullPlan = true;
    this.local.addAll(work.observe);
    this.markPlan(work.plan);
  }
}
