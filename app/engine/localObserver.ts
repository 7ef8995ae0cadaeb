import { ROOT, isSameOrBelow, parentOf } from '../../protocol/paths.js';
import type { StateStore, TreeWrite } from '../db/stateStore.js';
import { SyncError, isSyncError } from '../errors.js';
import type { Hasher } from '../hash/hasher.js';
import type { Scanner, ScanIssue, ScanResult, ScanTarget } from '../local/scanner.js';
import type { LocalNode } from '../model.js';
import { runParallel } from '../base/parallel.js';
import { outermost } from './dirtyPaths.js';
import type { LocalPaths } from '../local/localPaths.js';

export interface LocalObservation {
  nodes: Map<string, LocalNode>;
  issues: ScanIssue[];
}

/**
 * Turns a stat walk into the local tree: files unchanged since the last walk
 * (same size, mtime, inode and ctime) keep their recorded hash; only the rest go to
 * the hashing pool. A file that is still moving while hashed stays unhashed
 * (the planner waits for it), and contents below an unreadable folder keep
 * their last observation instead of reading as deletions.
 */
export class LocalObserver {
  constructor(
    private readonly scanner: Scanner,
    private readonly hasher: Hasher,
    private readonly state: StateStore,
    private readonly paths: LocalPaths,
    private readonly hashConcurrency: number,
  ) {}

  async observe(signal: AbortSignal): Promise<LocalObservation> {
    const scan = await this.scanner.scan(signal);
    this.paths.setRealPaths(scan.realPaths);
    return this.record(scan, this.state.loadLocal(), signal);
  }

  /**
   * Looks again at just these paths (a folder with its subtree): what a
   * watcher event costs is the changed paths' stats, not the folder's. A path
   * whose parent the local tree does not know is looked at from its nearest
   * known ancestor, so a new folder is never recorded without its parent.
   * Returns only the nodes at and below the targets.
   */
  async observePaths(targets: readonly ScanTarget[], signal: AbortSignal): Promise<LocalObservation & { roots: string[] }> {
    const looked = outermost(targets.map((target) => this.knownParentOf(target)));
    const scan = await this.scanner.scanPaths(looked, signal);
    const roots = outermost(looked.map((root) => this.goneFrom(root, scan)));
    this.paths.rememberBelow(roots.map((root) => root.path), scan.realPaths);
    const previous = new Map<string, LocalNode>();
    for (const { path } of roots) {
      const node = this.state.node('local', path);
      if (node) previous.set(path, node);
      for (const below of this.state.below('local', path)) previous.set(below.path, below);
    }
    return { ...(await this.record(scan, previous, signal)), roots: roots.map((root) => root.path) };
  }

  /**
   * For a path found gone, the outermost gone folder above it: an `rm -rf`
   * reports a folder's files before the folder itself, and a round in between
   * must not read "the files were deleted, the folder stays".
   */
  private goneFrom(root: ScanTarget, scan: ScanResult): ScanTarget {
    if (scan.nodes.has(root.path)) return root;
    let gone = root;
    while (parentOf(gone.path) !== ROOT) {
      const parent = { path: parentOf(gone.path), realPath: gone.realPath.slice(0, gone.realPath.lastIndexOf('/')) };
      if (this.scanner.exists(parent.realPath)) break;
      gone = parent;
    }
    return gone;
  }

  private knownParentOf(target: ScanTarget): ScanTarget {
    let { path, realPath } = target;
    while (parentOf(path) !== ROOT && this.state.node('local', parentOf(path))?.kind !== 'folder') {
      path = parentOf(path);
      realPath = realPath.slice(0, realPath.lastIndexOf('/'));
    }
    return { path, realPath };
  }

  /** Hashes what changed since `previous` and writes the differences to the local tree. */
  private async record(scan: ScanResult, previous: ReadonlyMap<string, LocalNode>, signal: AbortSignal): Promise<LocalObservation> {
    const unreadable = scan.issues.filter((issue) => issue.code === 'unreadable').map((issue) => issue.path);
    const nodes = scan.nodes;
    for (const [path, node] of previous) {
      if (!nodes.has(path) && unreadable.some((folder) => isSameOrBelow(path, folder) && path !== folder)) nodes.set(path, node);
    }

    // The previous observation is in memory already: one map lookup per file
    // instead of one query each (a restart over 100k files does this 100k times).
    const toHash: LocalNode[] = [];
    for (const node of nodes.values()) {
      if (node.kind !== 'file' || node.contentHash !== null) continue;
      const before = previous.get(node.path);
      if (before?.kind === 'file' && before.contentHash !== null && sameVersion(before, node)) node.contentHash = before.contentHash;
      else toHash.push(node);
    }
    await runParallel(toHash, this.hashConcurrency, async (node, taskSignal) => {
      try {
        node.contentHash = (await this.hasher.hashFile(this.paths.abs(node.path), taskSignal)).contentHash;
      } catch (error) {
        // Still being written, or gone already: the next walk looks again.
        if (isSyncError(error) && (error.code === 'file_changed' || error.code === 'not_found')) return;
        throw error;
      }
    }, signal);

    const writes: TreeWrite[] = [];
    for (const node of nodes.values()) {
      const before = previous.get(node.path);
      if (!before || !sameObservation(before, node)) writes.push({ tree: 'local', op: 'upsert', node });
    }
    for (const path of previous.keys()) {
      if (!nodes.has(path)) writes.push({ tree: 'local', op: 'delete', path });
    }
    if (writes.length > 0) this.state.write(writes);
    return { nodes, issues: scan.issues };
  }
}

/** Same size, mtime, inode and status-change time: the recorded hash still holds. */
function sameVersion(a: LocalNode, b: LocalNode): boolean {
  return a.size === b.size && a.mtime === b.mtime && a.inode === b.inode && a.ctime !== undefined && a.ctime === b.ctime;
}

function sameObservation(a: LocalNode, b: LocalNode): boolean {
  return a.kind === b.kind && sameVersion(a, b) && a.contentHash === b.contentHash;
}

/**
 * An unmounted disk or a wiped folder must never read as "the user deleted
 * everything": an empty root while the base remembers synced files stops sync.
 */
export function checkRootNotEmptied(localSize: number, baseSize: number, root: string): void {
  if (localSize === 0 && baseSize > 0) {
    throw new SyncError('sync_root_missing', `the sync folder ${root} is empty, but ${baseSize} synced items were there; `
      + 'if a disk is not mounted, mount it; nothing was deleted on the service', { path: root, retryable: false });
  }
}
