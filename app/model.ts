/**
 * The three trees the engine persists (observations, not intentions): what the
 * local folder holds, what the service holds, and the synced base both sides
 * last agreed on. Paths are drive paths: absolute, POSIX, NFC (protocol/paths).
 */
export type NodeKind = 'file' | 'folder';

interface NodeBase {
  path: string;
  kind: NodeKind;
  /** Bytes; 0 for folders. */
  size: number;
  /** protocol content hash; null for folders (and for local files not hashed yet). */
  contentHash: string | null;
  /** Milliseconds since the epoch. */
  mtime: number;
}

/** A local observation. `inode` (device:inode) lets a rename be recognised as a move. */
export interface LocalNode extends NodeBase {
  inode: string;
  /**
   * Status-change time in ms (sub-ms precise). Every write and every utimes
   * moves it and no program can set it, so an edit that keeps size and mtime
   * is still seen. Absent where unknown (rows from before it was recorded).
   */
  ctime?: number;
}

/** A remote observation, from a listing or the change feed. `id` is stable across moves. */
export interface RemoteNode extends NodeBase {
  id: string;
  rev: string;
}

/** What both sides agreed on at the last sync of this path. */
export interface BaseNode extends NodeBase {
  remoteId: string;
  rev: string;
  inode: string | null;
}

/** One entry of the service's change feed, as the engine records it in the remote tree. */
export interface RemoteChange {
  seq: number;
  op: 'create' | 'update' | 'move' | 'delete';
  /** The path after the change (for `delete`, the path it had). */
  path: string;
  /** For `move`: where the entry was; a folder moves with its subtree. */
  fromPath?: string;
  node: RemoteNode;
}

/**
 * Something the service sent that this client refuses (a hostile or broken
 * path, an entry whose parent is missing): never stored, never planned, told
 * to the user as an issue. `path` is the path as sent, made printable.
 */
export interface RefusedRemoteEntry {
  path: string;
  reason: string;
}

export type Tree<N> = ReadonlyMap<string, N>;

/**
 * Selective sync, per remote folder:
 * - `leaving`: excluded by the user, but the local copy is still here; the
 *   engine uploads local edits inside, then moves the copy to the trash and
 *   turns the rule into `excluded`;
 * - `excluded`: this computer does not keep the folder (nor anything below);
 * - `kept`: a top-level folder kept on purpose, so "sync new folders: no"
 *   does not take it for a new one before its first download.
 */
export type FolderRuleState = 'leaving' | 'excluded' | 'kept';

export interface FolderRule {
  path: string;
  state: FolderRuleState;
}
