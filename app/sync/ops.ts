import type { BaseNode, LocalNode, NodeKind, RemoteNode } from '../model.js';

/**
 * What the planner asks the executors to do. Each op carries its
 * preconditions, so a job that went stale between planning and running
 * refuses to act (and the next plan decides again):
 * - `expectLocal` / `local`: the local node the decision saw; the executor
 *   acts only if the path still has that kind, size, mtime and inode
 *   (`null`: the path must not exist).
 * - `ifRev`: the remote rev the decision saw, sent to the service as its
 *   precondition (`null`: the remote path must not exist).
 * - Folder deletes (`deleteLocal`/`deleteRemote` of a folder) act only on an
 *   empty folder: the children are deleted by their own ops first, so new
 *   content that appeared inside meanwhile is never swept away.
 */
export type SyncOp =
  /** Sends the local file; on success the base becomes the new remote entry. */
  | { type: 'uploadFile'; path: string; local: LocalNode; ifRev: string | null }
  /** Fetches `remote.rev` of the file and replaces `expectLocal` with it. */
  | { type: 'downloadFile'; path: string; remote: RemoteNode; expectLocal: LocalNode | null }
  | { type: 'deleteLocal'; path: string; expectLocal: LocalNode }
  | { type: 'deleteRemote'; path: string; kind: NodeKind; ifRev: string }
  /** A local rename or move, replayed on the service; `local` is the node at `to`. */
  | { type: 'moveRemote'; from: string; to: string; ifRev: string; local: LocalNode }
  /**
   * A remote rename or move, replayed locally; `remote` is the node at `to`.
   * `basePath`: where the base holds the entry when that is not `from` (both
   * sides moved it; the local move is undone to follow the service's, see
   * the planner's planConcurrentMoves).
   */
  | { type: 'moveLocal'; from: string; to: string; expectLocal: LocalNode; remote: RemoteNode; basePath?: string }
  | { type: 'mkdirLocal'; path: string; remote: RemoteNode }
  | { type: 'mkdirRemote'; path: string; local: LocalNode }
  /**
   * Both sides changed `path` differently. The remote keeps the name: the
   * local node is renamed to `conflictPath`; later plans upload it and
   * download the remote version.
   */
  | { type: 'conflict'; path: string; conflictPath: string; expectLocal: LocalNode; remote: RemoteNode }
  /** Both sides already agree; only the base needs to learn it. */
  | { type: 'updateBase'; path: string; node: BaseNode }
  | { type: 'removeBase'; path: string };

export type SyncOpType = SyncOp['type'];

export type DeleteOp = Extract<SyncOp, { type: 'deleteLocal' | 'deleteRemote' }>;

export function isDeleteOp(op: SyncOp): op is DeleteOp {
  return op.type === 'deleteLocal' || op.type === 'deleteRemote';
}

/** Same kind and, for files, same content: what "unchanged" means, whatever the rev or mtime. */
export function sameContent(a: { kind: NodeKind; contentHash: string | null }, b: { kind: NodeKind; contentHash: string | null }): boolean {
  return a.kind === b.kind && (a.kind === 'folder' || a.contentHash === b.contentHash);
}

/** The base entry recording that `local` and `remote` hold the same thing. */
export function agreedBase(local: LocalNode, remote: RemoteNode): BaseNode {
  return {
    path: remote.path,
    kind: remote.kind,
    size: remote.size,
    contentHash: remote.contentHash,
    mtime: remote.mtime,
    remoteId: remote.id,
    rev: remote.rev,
    inode: local.inode,
  };
}
