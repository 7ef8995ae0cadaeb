import { ROOT, parentOf } from '../../protocol/paths.js';
import type { SyncTrees } from './planner.js';
import { TreeView } from './treeView.js';

/** A remote entry this computer cannot hold, and why. */
export interface UnsyncableEntry {
  path: string;
  reason: string;
}

/**
 * What one plan found set aside: `scope` null when the plan covered the
 * whole trees, else the paths (with their subtrees) it looked at.
 */
export interface SetAsideFinding {
  entries: UnsyncableEntry[];
  scope: readonly string[] | null;
}

/** The set-aside list after a plan: a whole-tree finding replaces `kept`; a scoped one replaces only what lies in its scope. */
export function mergeSetAside(kept: readonly UnsyncableEntry[], found: SetAsideFinding): UnsyncableEntry[] {
  if (found.scope === null) return found.entries;
  const scope = new Set(found.scope);
  return [...kept.filter((entry) => !hasAncestorIn(entry.path, scope)), ...found.entries];
}

/**
 * Sets aside every remote entry this computer cannot hold (a name its file
 * system refuses, a path too long for it) with everything below it, in all
 * three trees: the planner then neither creates it locally, nor reads its
 * absence on disk as a deletion to send back, nor uploads anything in its
 * place. It stays on the service untouched. `reasonOf` says why a drive path
 * cannot exist here (null: it can); it is asked parents first, and only for
 * paths whose ancestors it let through, so it may judge a path by its own
 * name and length alone (LocalPaths.ownReason). Returns the topmost such entries, to be
 * told to the user; the trees are returned as they were when there are none,
 * else as views that hide the set-aside paths (a view still answers `get`
 * for paths outside an incremental round's scope, as the tree it wraps does).
 */
export function setAsideUnsyncable(trees: SyncTrees, reasonOf: (path: string) => string | null): { trees: SyncTrees; unsyncable: UnsyncableEntry[] } {
  const unsyncable: UnsyncableEntry[] = [];
  const tops = new Set<string>();
  for (const path of [...trees.remote.keys()].sort()) {
    if (hasAncestorIn(path, tops)) continue;
    const reason = reasonOf(path);
    if (reason === null) continue;
    tops.add(path);
    unsyncable.push({ path, reason });
  }
  return { trees: hideSubtrees(trees, tops), unsyncable };
}

/** The trees without `tops` and everything below them (as they were when `tops` is empty). */
export function hideSubtrees(trees: SyncTrees, tops: ReadonlySet<string>): SyncTrees {
  if (tops.size === 0) return trees;
  const hidden = (path: string) => hasAncestorIn(path, tops);
  return { base: new HidingTree(trees.base, hidden), local: new HidingTree(trees.local, hidden), remote: new HidingTree(trees.remote, hidden) };
}

/** A read-only tree without the paths `hidden` names. */
class HidingTree<N> extends TreeView<N> {
  constructor(private readonly tree: ReadonlyMap<string, N>, private readonly hidden: (path: string) => boolean) {
    super();
    for (const [path, node] of tree) if (!hidden(path)) this.members.set(path, node);
  }

  get(path: string): N | undefined {
    return this.hidden(path) ? undefined : this.tree.get(path);
  }
}

/** Whether `path` or one of its ancestors is in `tops`. */
export function hasAncestorIn(path: string, tops: ReadonlySet<string>): boolean {
  for (let p = path; p !== ROOT; p = parentOf(p)) {
    if (tops.has(p)) return true;
  }
  return false;
}
