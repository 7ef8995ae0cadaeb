import { ROOT, parentOf } from '../../protocol/paths.js';
import type { BaseNode, LocalNode, NodeKind, RemoteNode, Tree } from '../model.js';
import { conflictedCopyName } from './conflictName.js';
import { agreedBase, sameContent, type SyncOp } from './ops.js';

export interface SyncTrees {
  base: Tree<BaseNode>;
  local: Tree<LocalNode>;
  remote: Tree<RemoteNode>;
}

export interface PlanOptions {
  /** This machine's name, for conflicted copies. */
  host: string;
  /** The clock value (ms since the epoch) that conflicted copies are named after. */
  now: number;
}

/**
 * The reconciler: a pure function from the three trees to the operations that
 * bring them closer to agreement. Running the ops and planning again converges;
 * one plan need not finish the job. Paths it cannot decide yet are left for a
 * later plan: unhashed local files, moves whose destination folder does not
 * exist yet, and everything inside a folder that is being moved or renamed.
 *
 * Order of the result: moves, then creates and updates parents first, then
 * deletes children first.
 */
export function planSync(trees: SyncTrees, options: PlanOptions): SyncOp[] {
  const patient = new Plan(trees, options, true);
  const ops = patient.run();
  // Moves can wait on each other in a cycle (say, two folders moved into
  // each other on different sides); when nothing else is left to do, they
  // give up waiting and fall back to delete + create.
  return ops.length === 0 && patient.waited ? new Plan(trees, options, false).run() : ops;
}

type Side = 'same' | 'changed' | 'deleted';


function sameBase(a: BaseNode, b: BaseNode): boolean {
  return a.path === b.path && a.kind === b.kind && a.size === b.size && a.contentHash === b.contentHash
    && a.mtime === b.mtime && a.remoteId === b.remoteId && a.rev === b.rev && a.inode === b.inode;
}

/**
 * Both sides hold what the base records, and the base records exactly their
 * agreement: the plan has nothing to do at this path (decide() plans no op),
 * and no move starts there (neither side lost it) or ends there (the base
 * knows it). A plan may leave such paths out of the trees it iterates, as
 * long as the trees still answer `get` for them.
 */
export function isSettled(base: BaseNode | undefined, local: LocalNode | undefined, remote: RemoteNode | undefined): boolean {
  return base !== undefined && local !== undefined && remote !== undefined && !isUnhashed(local)
    && sameContent(local, base) && sameContent(remote, base) && sameBase(base, agreedBase(local, remote));
}

function isUnhashed(node: LocalNode | undefined): boolean {
  return node !== undefined && node.kind === 'file' && node.contentHash === null;
}

/** Every proper ancestor of each marked path, the root excluded. */
function ancestorsOf(paths: Iterable<string>): Set<string> {
  const ancestors = new Set<string>();
  for (const path of paths) {
    for (let p = parentOf(path); p !== ROOT && !ancestors.has(p); p = parentOf(p)) ancestors.add(p);
  }
  return ancestors;
}

class Plan {
  private readonly base: Tree<BaseNode>;
  private readonly local: Tree<LocalNode>;
  private readonly remote: Tree<RemoteNode>;
  /** Roots of subtrees left alone in this plan (moving, or renamed away by a conflict). */
  private readonly held = new Set<string>();
  private readonly localFoldersPlanned = new Set<string>();
  private readonly remoteFoldersPlanned = new Set<string>();
  private readonly conflictPaths = new Set<string>();
  /** Folders holding local content the base does not know (or cannot tell yet). */
  private readonly localNewBelow: Set<string>;
  /** Folders holding remote content the base does not know. */
  private readonly remoteNewBelow: Set<string>;
  private readonly moves: SyncOp[] = [];
  private readonly forward: SyncOp[] = [];
  private readonly deletes: SyncOp[] = [];

  /** Whether some move waited for its destination folder. */
  waited = false;

  constructor(trees: SyncTrees, private readonly options: PlanOptions, private readonly patient: boolean) {
    ({ base: this.base, local: this.local, remote: this.remote } = trees);
    this.localNewBelow = ancestorsOf(this.unknownTo(this.local, (node, base) => !isUnhashed(node) && sameContent(node, base)));
    this.remoteNewBelow = ancestorsOf(this.unknownTo(this.remote, sameContent));
  }

  run(): SyncOp[] {
    const basePaths = [...this.base.keys()].sort();
    this.planMoves(basePaths);
    const all = new Set([...basePaths, ...this.local.keys(), ...this.remote.keys()]);
    for (const path of [...all].sort()) {
      if (!this.isHeld(path)) this.decide(path);
    }
    return [...this.moves, ...this.forward, ...this.deletes.reverse()];
  }

  private *unknownTo<N extends { path: string }>(tree: Tree<N>, known: (node: N, base: BaseNode) => boolean): Iterable<string> {
    for (const node of tree.values()) {
      const base = this.base.get(node.path);
      if (!base || !known(node, base)) yield node.path;
    }
  }

  private isHeld(path: string): boolean {
    for (let p = path; ; p = parentOf(p)) {
      if (this.held.has(p)) return true;
      if (p === ROOT) return false;
    }
  }

  // ------------------------------------------------------------------ moves

  /**
   * A base path gone from one side whose identity shows up at a new path on
   * that side is a move: locally the inode (with the same size and hash, as
   * inodes get reused), remotely the entry id. Both ends are held for this
   * plan, so a folder's children follow their folder instead of being
   * detected one by one.
   */
  private planMoves(basePaths: readonly string[]): void {
    const localByInode = new Map<string, string[]>();
    for (const node of this.local.values()) {
      if (this.base.has(node.path)) continue;
      const paths = localByInode.get(node.inode);
      if (paths) paths.push(node.path);
      else localByInode.set(node.inode, [node.path]);
    }
    const remoteById = new Map<string, string>();
    for (const node of this.remote.values()) {
      if (!this.base.has(node.path)) remoteById.set(node.id, node.path);
    }
    for (const path of basePaths) {
      if (this.isHeld(path)) continue;
      const base = this.base.get(path)!;
      const localTo = base.inode === null ? undefined : localByInode.get(base.inode);
      const movedLocally = !this.local.has(path) && localTo?.length === 1 ? localTo[0]! : undefined;
      const movedRemotely = this.remote.has(path) ? undefined : remoteById.get(base.remoteId);
      if (movedLocally !== undefined && movedRemotely !== undefined) this.planConcurrentMoves(base, movedLocally, movedRemotely);
      else if (movedLocally !== undefined) this.planLocalMove(base, movedLocally);
      else if (movedRemotely !== undefined) this.planRemoteMove(base, movedRemotely);
    }
  }

  /**
   * The rule for concurrent moves: both sides moved or renamed the same
   * synced entry (say, one folder renamed to two names on two devices). The
   * first move to reach the service wins: the service already holds it, so
   * this side undoes its own move and follows, its entry moving locally to the
   * service's path with everything inside it (content added inside meanwhile
   * comes along, and later plans sync it at the new place). Nothing is
   * deleted and nothing is duplicated. A follow happens only when it can
   * happen now: the local entry unchanged (a file also edited here is a new
   * file), nothing at the service's path here, and that path's folder synced
   * and present here. It never waits for a folder this plan creates (that
   * folder may be where the entry itself went locally, a wait on itself);
   * then both places stay, each with its content, path by path.
   * Both sides choosing the same path is agreement, settled path by path.
   */
  private planConcurrentMoves(base: BaseNode, localPath: string, remotePath: string): void {
    if (localPath === remotePath) return;
    const moved = this.remote.get(remotePath)!;
    const local = this.local.get(localPath)!;
    if (moved.kind !== base.kind || local.kind !== base.kind) return;
    if (isUnhashed(local)) {
      this.hold(base.path, localPath, remotePath);
      return;
    }
    const parent = parentOf(remotePath);
    const placeReady = parent === ROOT || (this.base.has(parent) && this.localFolderReady(parent));
    if (!sameContent(local, base) || this.local.has(remotePath) || this.isHeld(remotePath) || !placeReady) return;
    this.hold(base.path, localPath, remotePath);
    this.moves.push({ type: 'moveLocal', from: localPath, to: remotePath, expectLocal: local, remote: moved, basePath: base.path });
  }

  private planLocalMove(base: BaseNode, to: string): void {
    const moved = this.local.get(to)!;
    const remote = this.remote.get(base.path);
    if (moved.kind !== base.kind || this.remote.has(to)) return;
    if (!remote || remote.id !== base.remoteId || !sameContent(remote, base)) return;
    if (isUnhashed(moved)) {
      this.hold(base.path, to);
      return;
    }
    if (moved.kind === 'file' && (moved.size !== base.size || moved.contentHash !== base.contentHash)) return;
    if (this.mustWait(to, this.local)) this.hold(base.path, to);
    else if (this.remoteFolderReady(parentOf(to))) {
      this.hold(base.path, to);
      this.moves.push({ type: 'moveRemote', from: base.path, to, ifRev: remote.rev, local: moved });
    }
  }

  private planRemoteMove(base: BaseNode, to: string): void {
    const moved = this.remote.get(to)!;
    const local = this.local.get(base.path);
    if (moved.kind !== base.kind || this.local.has(to) || !local) return;
    if (isUnhashed(local)) {
      this.hold(base.path, to);
      return;
    }
    if (!sameContent(local, base)) return;
    if (this.mustWait(to, this.remote)) this.hold(base.path, to);
    else if (this.localFolderReady(parentOf(to))) {
      this.hold(base.path, to);
      this.moves.push({ type: 'moveLocal', from: base.path, to, expectLocal: local, remote: moved });
    }
  }

  /**
   * A move whose destination folder will exist after this plan waits for it:
   * the destination lies in a folder that is moving itself, or its parent is
   * a new folder on the moving side (created on the other side by this plan).
   * Any other missing destination (say, crossed moves of two folders) falls
   * back to delete + create, which keeps all content.
   */
  private mustWait(to: string, side: Tree<{ kind: NodeKind }>): boolean {
    const parent = parentOf(to);
    const wait = this.isHeld(to) || (side.get(parent)?.kind === 'folder' && !this.base.has(parent));
    if (wait) this.waited = true;
    return wait && this.patient;
  }

  private hold(...paths: string[]): void {
    for (const path of paths) this.held.add(path);
  }

  // --------------------------------------------------------------- per path

  private decide(path: string): void {
    const base = this.base.get(path);
    const local = this.local.get(path);
    const remote = this.remote.get(path);
    if (isUnhashed(local)) return;
    if (!base) {
      if (local && remote) this.settleBoth(path, local, remote);
      else if (local) this.createRemote(local);
      else if (remote) this.createLocal(remote);
      return;
    }
    const localSide: Side = !local ? 'deleted' : sameContent(local, base) ? 'same' : 'changed';
    const remoteSide: Side = !remote ? 'deleted' : sameContent(remote, base) ? 'same' : 'changed';
    switch (`${localSide}/${remoteSide}`) {
      case 'same/same':
      case 'changed/changed':
        this.settleBoth(path, local!, remote!, base);
        break;
      case 'changed/same':
        this.replaceRemote(local!, remote!);
        break;
      case 'same/changed':
        this.replaceLocal(local!, remote!);
        break;
      case 'deleted/same':
        this.deleteRemote(remote!);
        break;
      case 'same/deleted':
        this.deleteLocal(local!);
        break;
      case 'changed/deleted':
        this.createRemote(local!);
        break;
      case 'deleted/changed':
        this.createLocal(remote!);
        break;
      case 'deleted/deleted':
        this.forward.push({ type: 'removeBase', path });
        break;
    }
  }

  /** Both sides hold something: agreement updates the base, disagreement is a conflict. */
  private settleBoth(path: string, local: LocalNode, remote: RemoteNode, base?: BaseNode): void {
    if (!sameContent(local, remote)) {
      this.conflict(local, remote);
      return;
    }
    const agreed = agreedBase(local, remote);
    if (!base || !sameBase(base, agreed)) this.forward.push({ type: 'updateBase', path, node: agreed });
  }

  /** Local changed, remote is still the base version: the local one replaces it. */
  private replaceRemote(local: LocalNode, remote: RemoteNode): void {
    if (local.kind === 'file' && remote.kind === 'file') {
      this.forward.push({ type: 'uploadFile', path: local.path, local, ifRev: remote.rev });
    } else if (remote.kind === 'folder' && this.remoteNewBelow.has(remote.path)) {
      this.conflict(local, remote);
    } else {
      // A kind change: clear the remote path first; a later plan creates the new kind.
      this.deletes.push({ type: 'deleteRemote', path: remote.path, kind: remote.kind, ifRev: remote.rev });
    }
  }

  /** Remote changed, local is still the base version: the remote one replaces it. */
  private replaceLocal(local: LocalNode, remote: RemoteNode): void {
    if (local.kind === 'file' && remote.kind === 'file') {
      this.forward.push({ type: 'downloadFile', path: remote.path, remote, expectLocal: local });
    } else if (local.kind === 'folder' && this.localNewBelow.has(local.path)) {
      this.conflict(local, remote);
    } else {
      this.deletes.push({ type: 'deleteLocal', path: local.path, expectLocal: local });
    }
  }

  /** Deleted locally, unchanged remotely; a folder with new remote content inside is kept (re-created locally). */
  private deleteRemote(remote: RemoteNode): void {
    if (remote.kind === 'folder' && this.remoteNewBelow.has(remote.path)) this.createLocal(remote);
    else this.deletes.push({ type: 'deleteRemote', path: remote.path, kind: remote.kind, ifRev: remote.rev });
  }

  /** Deleted remotely, unchanged locally; a folder with new local content inside is kept (re-created remotely). */
  private deleteLocal(local: LocalNode): void {
    if (local.kind === 'folder' && this.localNewBelow.has(local.path)) this.createRemote(local);
    else this.deletes.push({ type: 'deleteLocal', path: local.path, expectLocal: local });
  }

  private createRemote(local: LocalNode): void {
    if (!this.remoteFolderReady(parentOf(local.path))) return;
    if (local.kind === 'folder') {
      this.remoteFoldersPlanned.add(local.path);
      this.forward.push({ type: 'mkdirRemote', path: local.path, local });
    } else {
      this.forward.push({ type: 'uploadFile', path: local.path, local, ifRev: null });
    }
  }

  private createLocal(remote: RemoteNode): void {
    if (!this.localFolderReady(parentOf(remote.path))) return;
    if (remote.kind === 'folder') {
      this.localFoldersPlanned.add(remote.path);
      this.forward.push({ type: 'mkdirLocal', path: remote.path, remote });
    } else {
      this.forward.push({ type: 'downloadFile', path: remote.path, remote, expectLocal: null });
    }
  }

  /** The remote keeps the name; the local node moves aside to a free conflicted-copy name. */
  private conflict(local: LocalNode, remote: RemoteNode): void {
    const date = new Date(this.options.now);
    let conflictPath: string;
    for (let attempt = 1; ; attempt++) {
      conflictPath = conflictedCopyName(local.path, this.options.host, date, attempt);
      if (!this.isTaken(conflictPath)) break;
    }
    this.conflictPaths.add(conflictPath);
    if (local.kind === 'folder') this.held.add(local.path);
    this.forward.push({ type: 'conflict', path: local.path, conflictPath, expectLocal: local, remote });
  }

  private isTaken(path: string): boolean {
    return this.local.has(path) || this.remote.has(path) || this.base.has(path) || this.conflictPaths.has(path);
  }

  private remoteFolderReady(path: string): boolean {
    return path === ROOT || this.remoteFoldersPlanned.has(path)
      || (this.remote.get(path)?.kind === 'folder' && !this.isHeld(path));
  }

  private localFolderReady(path: string): boolean {
    return path === ROOT || this.localFoldersPlanned.has(path)
      || (this.local.get(path)?.kind === 'folder' && !this.isHeld(path));
  }
}
