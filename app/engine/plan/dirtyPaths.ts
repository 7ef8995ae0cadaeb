import { ROOT, parentOf } from '../../../protocol/paths.js';
import type { ScanTarget } from '../../local/scanner.js';

/**
 * The outermost of these paths, sorted: each path stands for its subtree, so
 * one below another adds nothing (an `rm -rf` of a folder's 100k files and the
 * folder's own event collapse to the folder).
 */
export function outermost<T extends { path: string }>(entries: Iterable<T>): T[] {
  const byPath = new Map<string, T>();
  for (const entry of entries) byPath.set(entry.path, entry);
  const kept: T[] = [];
  for (const entry of byPath.values()) {
    let covered = false;
    for (let p = entry.path; p !== ROOT && !covered; ) {
      p = parentOf(p);
      covered = byPath.has(p);
    }
    if (!covered) kept.push(entry);
  }
  return kept.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Local paths a watcher reported and the next round must look at again,
 * with their on-disk spelling. A path stands for its subtree when it is a
 * folder (the scanner walks it).
 */
export class DirtyPaths {
  private readonly paths = new Map<string, string>();

  get size(): number {
    return this.paths.size;
  }

  add(path: string, realPath: string): void {
    this.paths.set(path, realPath);
  }

  addAll(targets: Iterable<ScanTarget>): void {
    for (const target of targets) this.add(target.path, target.realPath);
  }

  /** Empties the set into a list of outermost targets. */
  take(): ScanTarget[] {
    const targets = outermost([...this.paths].map(([path, realPath]) => ({ path, realPath })));
    this.paths.clear();
    return targets;
  }
}
