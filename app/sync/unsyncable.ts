import { ROOT, parentOf } from '../../protocol/paths.js';
import type { SyncTrees } from './planner.js';

/** A remote entry this computer cannot hold, and why. */
export interface UnsyncableEntry {
  path: string;
  reason: string;
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
 * told to the user; the trees are returned as they were when there are none.
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
  if (tops.size === 0) return { trees, unsyncable };
  const keep = <N>(tree: ReadonlyMap<string, N>) => new Map([...tree].filter(([path]) => !hasAncestorIn(path, tops)));
  return { trees: { base: keep(trees.base), local: keep(trees.local), remote: keep(trees.remote) }, unsyncable };
}

/** Whether `path` or one of its ancestors is in `tops`. */
function hasAncestorIn(path: string, tops: ReadonlySet<string>): boolean {
  for (let p = path; p !== ROOT; p = parentOf(p)) {
    if (tops.has(p)) return true;
  }
  return false;
}

