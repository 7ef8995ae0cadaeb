import { ROOT, parentOf } from '../../protocol/paths.js';
import type { FolderRule } from '../model.js';
import { conflictedCopyName } from './conflictName.js';
import type { SyncOp } from './ops.js';
import type { SyncTrees } from './planner.js';
import { hasAncestorIn, hideSubtrees } from './unsyncable.js';

export interface SelectionOptions {
  /** "Sync new folders": false sets aside top-level remote folders this computer has never had. */
  syncNewFolders: boolean;
  host: string;
  now: number;
}

/** What selective sync did to one plan's trees, for the engine to record. */
export interface Selection {
  /** The trees without the excluded folders' subtrees (in all three: nothing there is downloaded, nor its absence read as a deletion). */
  trees: SyncTrees;
  /** Local entries standing where an excluded remote folder is: each moves aside to a conflicted-copy name (and is uploaded from there). */
  ops: SyncOp[];
  /** New top-level remote folders set aside because "sync new folders" is off. */
  newlyExcluded: string[];
  /** Rules whose remote folder is gone (deleted or moved on the service): nothing left to keep or exclude. */
  gone: string[];
  /** Folders being let go of: their ops are limited by `keepLeavingOps`. */
  leaving: ReadonlySet<string>;
}

/**
 * Applies the folder rules to one plan's trees (whole or scoped: the trees'
 * `get` answers for any path). Excluded folders are hidden like unsyncable
 * entries; a local entry at an excluded path is the user's new content that
 * happens to share a name with a folder kept only on the service, so it is
 * renamed to a conflicted copy (both kept, never merged into the hidden folder).
 */
export function applySelection(trees: SyncTrees, rules: readonly FolderRule[], options: SelectionOptions): Selection {
  const hidden = new Set<string>();
  const leaving = new Set<string>();
  const gone: string[] = [];
  const ruled = new Set<string>();
  for (const rule of rules) {
    ruled.add(rule.path);
    const remote = trees.remote.get(rule.path);
    if (remote?.kind !== 'folder') {
      // A folder being let go of stays ruled until its local copy is safe, even if the service's copy went meanwhile.
      if (rule.state !== 'leaving') gone.push(rule.path);
      else leaving.add(rule.path);
      continue;
    }
    if (rule.state === 'excluded') hidden.add(rule.path);
    else if (rule.state === 'leaving') leaving.add(rule.path);
  }
  const newlyExcluded: string[] = [];
  if (!options.syncNewFolders) {
    for (const node of trees.remote.values()) {
      if (node.kind !== 'folder' || parentOf(node.path) !== ROOT || ruled.has(node.path)) continue;
      if (trees.base.get(node.path) || trees.local.get(node.path)) continue;
      newlyExcluded.push(node.path);
      hidden.add(node.path);
    }
  }
  const ops: SyncOp[] = [];
  const taken = new Set<string>();
  for (const path of hidden) {
    const local = trees.local.get(path);
    const remote = trees.remote.get(path);
    // An unhashed file waits for its hash, like everywhere in the planner.
    if (!local || !remote || (local.kind === 'file' && local.contentHash === null)) continue;
    const date = new Date(options.now);
    let conflictPath = conflictedCopyName(path, options.host, date);
    for (let attempt = 2; taken.has(conflictPath) || trees.local.get(conflictPath) || trees.remote.get(conflictPath) || trees.base.get(conflictPath); attempt++) {
      conflictPath = conflictedCopyName(path, options.host, date, attempt);
    }
    taken.add(conflictPath);
    ops.push({ type: 'conflict', path, conflictPath, expectLocal: local, remote });
  }
  return { trees: hideSubtrees(trees, hidden), ops, newlyExcluded, gone, leaving };
}

/**
 * Inside a folder being let go of, only what brings local content to the
 * service may run: uploads, remote folder creation, local renames replayed
 * remotely, conflicted copies and base bookkeeping. Downloads, local
 * deletions or moves, and every remote deletion are dropped: the folder's
 * local copy is about to go, and excluding never deletes anything remotely.
 */
export function keepLeavingOps(ops: readonly SyncOp[], leaving: ReadonlySet<string>): SyncOp[] {
  if (leaving.size === 0) return [...ops];
  return ops.filter((op) => LEAVING_SAFE.has(op.type) || !opPaths(op).some((path) => hasAncestorIn(path, leaving)));
}

const LEAVING_SAFE: ReadonlySet<SyncOp['type']> = new Set(['uploadFile', 'mkdirRemote', 'moveRemote', 'conflict', 'updateBase', 'removeBase']);

/** The paths an op touches or creates. */
export function opPaths(op: SyncOp): string[] {
  switch (op.type) {
    case 'moveLocal':
      return [op.from, op.to, ...(op.basePath === undefined ? [] : [op.basePath])];
    case 'moveRemote':
      return [op.from, op.to];
    case 'conflict':
      return [op.path, op.conflictPath];
    default:
      return [op.path];
  }
}
