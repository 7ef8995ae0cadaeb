import { ROOT, parentOf } from '../../../protocol/paths.js';
import type { StateStore, TreeWrite } from '../../db/stateStore.js';
import { SyncError, isSyncError } from '../../errors.js';
import type { Hasher } from '../../hash/hasher.js';
import type { FolderListing, Scanner, ScanIssue, ScanResult, ScanTarget } from '../../local/scanner.js';
import type { LocalNode } from '../../model.js';
import { runParallel } from '../../base/parallel.js';
import { outermost } from './dirtyPaths.js';
import type { LocalPaths } from '../../local/localPaths.js';

export interface LocalObservation {
  issues: ScanIssue[];
}

/**
 * Turns a stat walk into the local tree: files unchanged since the last walk
 * (same size, mtime, inode and ctime) keep their recorded hash; only the rest go to
 * the hashing pool. A file that is still moving while hashed stays unhashed
 * (the planner waits for it), and contents below an unreadable folder keep
 * their last observation instead of reading as deletions. What was recorded
 * before is streamed from the database, never loaded whole, and the result
 * is the local tree in the database: the walk is the only whole-tree
 * structure a full observation holds.
 */
export class LocalObserver {
  constructor(
    private readonly scanner: Scanner,
    private readonly hasher: Hasher,
    private readonly state: StateStore,
    private readonly paths: LocalPaths,
    private readonly hashConcurrency: number,
  ) {}

  /**
   * The full walk. Each folder, once listed (a wide one a slice at a time),
   * is compared with its recorded entries (folderComparer) and let go: only
   * the differences are kept until they are hashed and written.
   */
  async observe(signal: AbortSignal): Promise<LocalObservation> {
    const differences = new Differences();
    const scan = await this.scanner.scanFolders(this.folderComparer(differences), signal);
    this.paths.setRealPaths(scan.realPaths);
    await this.recordDifferences(differences, signal);
    return { issues: scan.issues };
  }

  /**
   * Looks again at just these paths (a folder with its subtree): what a
   * watcher event costs is the changed paths' stats, not the folder's. A path
   * whose parent the local tree does not know is looked at from its nearest
   * known ancestor, so a new folder is never recorded without its parent.
   * A folder looked at is compared as it is listed, as in the full walk (an
   * event for a folder of 100,000 files holds a slice of them, not all), so
   * only the paths themselves are compared here. Returns the roots it looked at.
   */
  async observePaths(targets: readonly ScanTarget[], signal: AbortSignal): Promise<LocalObservation & { roots: string[] }> {
    const looked = outermost(targets.map((target) => this.knownParentOf(target)));
    const differences = new Differences();
    const scan = await this.scanner.scanPaths(looked, signal, this.folderComparer(differences));
    const roots = outermost(looked.map((root) => this.goneFrom(root, scan)));
    this.paths.rememberBelow(roots.map((root) => root.path), scan.realPaths);
    // A root gone, or no longer a folder, is deleted with its subtree (TreeWrite 'delete').
    differences.compare(scan.nodes, roots.flatMap(({ path }) => this.state.node('local', path) ?? []));
    await this.recordDifferences(differences, signal);
    return { issues: scan.issues, roots: roots.map((root) => root.path) };
  }

  /**
   * Compares each listed folder (or slice of one) with its recorded entries, read through the index, jumping over
   * subfolders' subtrees. A folder that cannot be listed is not compared, so what it held stays.
   */
  private folderComparer(differences: Differences): (listing: FolderListing) => void {
    return ({ path, nodes, range }) => {
      differences.compare(new Map(nodes.map((node) => [node.path, node])), this.state.children('local', path, range));
    };
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

  private async recordDifferences(differences: Differences, signal: AbortSignal): Promise<void> {
    await runParallel(differences.toHash, this.hashConcurrency, async ({ node }, taskSignal) => {
      try {
        node.contentHash = (await this.hasher.hashFile(this.paths.abs(node.path), taskSignal)).contentHash;
      } catch (error) {
        // Still being written, or gone already: the next walk looks again.
        if (isSyncError(error) && (error.code === 'file_changed' || error.code === 'not_found')) return;
        throw error;
      }
    }, signal);
    const writes = differences.writes();
    if (writes.length > 0) this.state.write(writes);
  }
}

/** What a walk found different from the recorded local tree: the files to hash, the nodes to write, the paths gone. */
class Differences {
  /** Files to hash, with what was recorded for them (undefined: new). */
  readonly toHash: { node: LocalNode; before: LocalNode | undefined }[] = [];
  private readonly upserts: LocalNode[] = [];
  private readonly deletes: string[] = [];

  /**
   * Compares walked nodes with the recorded ones they stand for (read once,
   * in any order; a recorded path the walk did not see is gone); consumes
   * `walked`, so what is left in it is new.
   */
  compare(walked: Map<string, LocalNode>, previous: Iterable<LocalNode>): void {
    for (const before of previous) {
      const node = walked.get(before.path);
      if (node) {
        walked.delete(before.path);
        this.compareNode(node, before);
      } else {
        this.deletes.push(before.path);
      }
    }
    for (const node of walked.values()) this.compareNode(node, undefined);
    walked.clear();
  }

  /** The writes, once the files are hashed (one that could not be stays unhashed: the planner waits for it). */
  writes(): TreeWrite[] {
    for (const { node, before } of this.toHash) if (!before || !sameObservation(before, node)) this.upserts.push(node);
    // Deletes first: a folder that became a file is deleted with its subtree, then recorded as the file.
    return [
      ...this.deletes.map((path): TreeWrite => ({ tree: 'local', op: 'delete', path })),
      ...this.upserts.map((node): TreeWrite => ({ tree: 'local', op: 'upsert', node })),
    ];
  }

  private compareNode(node: LocalNode, before: LocalNode | undefined): void {
    // What a folder held is compared when the folder is listed; a folder that is now a file is not listed.
    if (before?.kind === 'folder' && node.kind === 'file') this.deletes.push(before.path);
    if (node.kind === 'file' && node.contentHash === null) {
      if (before?.kind === 'file' && before.contentHash !== null && sameVersion(before, node)) node.contentHash = before.contentHash;
      else return void this.toHash.push({ node, before });
    }
    if (!before || !sameObservation(before, node)) this.upserts.push(node);
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
