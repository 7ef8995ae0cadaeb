import { isSameOrBelow } from '../../protocol/paths.js';
import type { StateStore, TreeWrite } from '../db/stateStore.js';
import { SyncError, isSyncError } from '../errors.js';
import type { Hasher } from '../hash/hasher.js';
import type { Scanner, ScanIssue } from '../local/scanner.js';
import type { LocalNode } from '../model.js';
import { runParallel } from '../transfer/parallel.js';
import type { LocalPaths } from './localPaths.js';

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
    const previous = this.state.loadLocal();
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
export function checkRootNotEmptied(local: ReadonlyMap<string, LocalNode>, baseSize: number, root: string): void {
  if (local.size === 0 && baseSize > 0) {
    throw new SyncError('sync_root_missing', `the sync folder ${root} is empty, but ${baseSize} synced items were there; `
      + 'if a disk is not mounted, mount it; nothing was deleted on the service', { path: root, retryable: false });
  }
}
