import { ROOT, isSameOrBelow, joinPath, parentOf } from '../../protocol/paths.js';
import type { BaseNode, LocalNode, NodeKind, RemoteNode } from '../../app/model.js';
import { agreedBase, type SyncOp } from '../../app/sync/ops.js';
import type { SyncTrees } from '../../app/sync/planner.js';

/**
 * An in-memory model of both sides and the base, for planner tests. Users
 * change the sides with `localSide`/`remoteSide`; `apply` runs a planned op
 * the way a real executor would: it re-checks the op's preconditions against
 * the current state and does nothing (returns false) when they fail.
 * Contents are stand-in hashes: every creation or edit makes a new one.
 */
export class SyncWorld {
  readonly local = new Map<string, LocalNode>();
  readonly remote = new Map<string, RemoteNode>();
  readonly base = new Map<string, BaseNode>();
  private counter = 0;

  fresh(prefix: string): string {
    return `${prefix}${++this.counter}`;
  }

  tick(): number {
    return ++this.counter;
  }

  trees(): SyncTrees {
    return { base: this.base, local: this.local, remote: this.remote };
  }

  /** A tree both sides and the base agree on. */
  static synced(spec: ReadonlyArray<{ path: string; kind: NodeKind }>): SyncWorld {
    const world = new SyncWorld();
    for (const { path, kind } of spec) {
      if (kind === 'folder') world.localSide.mkdir(path);
      else world.localSide.write(path, world.fresh('c'));
      const local = world.local.get(path)!;
      const remote = remoteCopy(local, world.fresh('id'), world.fresh('v'));
      world.remote.set(path, remote);
      world.base.set(path, agreedBase(local, remote));
    }
    return world;
  }

  readonly localSide: Side = {
    nodes: () => this.local,
    write: (path, contentHash) => {
      const old = this.local.get(path);
      this.local.set(path, { path, kind: 'file', contentHash, size: sizeOf(contentHash), mtime: this.tick(), inode: old?.inode ?? this.fresh('i') });
    },
    mkdir: (path) => {
      this.local.set(path, { path, kind: 'folder', contentHash: null, size: 0, mtime: this.tick(), inode: this.fresh('i') });
    },
    remove: (path) => removeSubtree(this.local, path),
    move: (from, to) => moveSubtree(this.local, from, to, (node) => node),
  };

  readonly remoteSide: Side = {
    nodes: () => this.remote,
    write: (path, contentHash) => {
      const old = this.remote.get(path);
      this.remote.set(path, { path, kind: 'file', contentHash, size: sizeOf(contentHash), mtime: this.tick(), id: old?.id ?? this.fresh('id'), rev: this.fresh('v') });
    },
    mkdir: (path) => {
      this.remote.set(path, { path, kind: 'folder', contentHash: null, size: 0, mtime: this.tick(), id: this.fresh('id'), rev: this.fresh('v') });
    },
    remove: (path) => removeSubtree(this.remote, path),
    // Like the service: the moved entry gets a new rev, its descendants keep theirs.
    move: (from, to) => moveSubtree(this.remote, from, to, (node) => (node.path === to ? { ...node, rev: this.fresh('v') } : node)),
  };

  /** Runs one op as an executor would; false when its preconditions no longer hold. */
  apply(op: SyncOp): boolean {
    switch (op.type) {
      case 'uploadFile': {
        const local = this.local.get(op.path);
        const remote = this.remote.get(op.path);
        if (!matches(local, op.local) || !this.isFolder(this.remote, parentOf(op.path))) return false;
        if (op.ifRev === null ? remote !== undefined : remote?.kind !== 'file' || remote.rev !== op.ifRev) return false;
        const uploaded = remoteCopy(local!, remote?.id ?? this.fresh('id'), this.fresh('v'));
        this.remote.set(op.path, uploaded);
        this.base.set(op.path, agreedBase(local!, uploaded));
        return true;
      }
      case 'downloadFile': {
        const remote = this.remote.get(op.path);
        if (remote?.kind !== 'file' || remote.rev !== op.remote.rev) return false;
        if (!this.isFolder(this.local, parentOf(op.path)) || !matches(this.local.get(op.path), op.expectLocal)) return false;
        // Written to a temp file and renamed over the path: a new inode.
        const written: LocalNode = { path: op.path, kind: 'file', contentHash: remote.contentHash, size: remote.size, mtime: remote.mtime, inode: this.fresh('i') };
        this.local.set(op.path, written);
        this.base.set(op.path, agreedBase(written, remote));
        return true;
      }
      case 'deleteLocal': {
        if (!matches(this.local.get(op.path), op.expectLocal) || hasChildren(this.local, op.path)) return false;
        this.local.delete(op.path);
        removeSubtree(this.base, op.path);
        return true;
      }
      case 'deleteRemote': {
        const remote = this.remote.get(op.path);
        if (remote?.kind !== op.kind || remote.rev !== op.ifRev || hasChildren(this.remote, op.path)) return false;
        this.remote.delete(op.path);
        removeSubtree(this.base, op.path);
        return true;
      }
      case 'moveRemote': {
        const remote = this.remote.get(op.from);
        if (remote?.rev !== op.ifRev || this.remote.has(op.to) || !this.isFolder(this.remote, parentOf(op.to))) return false;
        if (!matches(this.local.get(op.to), op.local) || !this.base.has(op.from)) return false;
        this.remoteSide.move(op.from, op.to);
        const rev = this.remote.get(op.to)!.rev;
        moveSubtree(this.base, op.from, op.to, (node) => (node.path === op.to ? { ...node, rev } : node));
        return true;
      }
      case 'moveLocal': {
        if (!matches(this.local.get(op.from), op.expectLocal) || this.local.has(op.to) || !this.isFolder(this.local, parentOf(op.to))) return false;
        if (this.remote.get(op.to)?.id !== op.remote.id || !this.base.has(op.basePath ?? op.from)) return false;
        this.localSide.move(op.from, op.to);
        moveSubtree(this.base, op.basePath ?? op.from, op.to, (node) => node);
        return true;
      }
      case 'mkdirLocal': {
        if (this.local.has(op.path) || !this.isFolder(this.local, parentOf(op.path))) return false;
        this.localSide.mkdir(op.path);
        this.base.set(op.path, agreedBase(this.local.get(op.path)!, op.remote));
        return true;
      }
      case 'mkdirRemote': {
        if (this.remote.has(op.path) || !this.isFolder(this.remote, parentOf(op.path))) return false;
        if (!matches(this.local.get(op.path), op.local)) return false;
        this.remoteSide.mkdir(op.path);
        this.base.set(op.path, agreedBase(op.local, this.remote.get(op.path)!));
        return true;
      }
      case 'conflict': {
        if (!matches(this.local.get(op.path), op.expectLocal) || this.local.has(op.conflictPath)) return false;
        this.localSide.move(op.path, op.conflictPath);
        return true;
      }
      case 'updateBase':
        this.base.set(op.path, op.node);
        return true;
      case 'removeBase':
        this.base.delete(op.path);
        return true;
    }
  }

  private isFolder(tree: ReadonlyMap<string, { kind: NodeKind }>, path: string): boolean {
    return path === ROOT || tree.get(path)?.kind === 'folder';
  }
}

/** What a user (or another device) can do to one side. */
export interface Side {
  nodes(): ReadonlyMap<string, { path: string; kind: NodeKind; contentHash: string | null }>;
  /** Creates or overwrites a file. */
  write(path: string, contentHash: string): void;
  mkdir(path: string): void;
  remove(path: string): void;
  move(from: string, to: string): void;
}

/** A user action, with picks resolved modulo the current candidates so any numbers make a valid action. */
export interface Action {
  type: 'file' | 'folder' | 'edit' | 'delete' | 'move';
  pick: number;
  to: number;
  name: string;
}

export function perform(world: SyncWorld, side: Side, action: Action): void {
  const nodes = [...side.nodes().values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const folders = [ROOT, ...nodes.filter((n) => n.kind === 'folder').map((n) => n.path)];
  const files = nodes.filter((n) => n.kind === 'file');
  const free = (path: string) => !side.nodes().has(path);
  switch (action.type) {
    case 'file':
    case 'folder': {
      const path = joinPath(folders[action.pick % folders.length]!, action.name);
      if (!free(path)) return;
      if (action.type === 'file') side.write(path, world.fresh('c'));
      else side.mkdir(path);
      return;
    }
    case 'edit':
      if (files.length > 0) side.write(files[action.pick % files.length]!.path, world.fresh('c'));
      return;
    case 'delete':
      if (nodes.length > 0) side.remove(nodes[action.pick % nodes.length]!.path);
      return;
    case 'move': {
      if (nodes.length === 0) return;
      const from = nodes[action.pick % nodes.length]!.path;
      const targets = folders.filter((f) => !isSameOrBelow(f, from));
      const to = joinPath(targets[action.to % targets.length]!, action.name);
      if (free(to)) side.move(from, to);
      return;
    }
  }
}

/** Another device writes the same content at the same path as the local side did. */
export function mirrorLocalFile(world: SyncWorld, pick: number): void {
  const files = [...world.local.values()].filter((n) => n.kind === 'file').sort((a, b) => (a.path < b.path ? -1 : 1));
  if (files.length === 0) return;
  const file = files[pick % files.length]!;
  const parent = parentOf(file.path);
  if ((parent !== ROOT && world.remote.get(parent)?.kind !== 'folder') || world.remote.get(file.path)?.kind === 'folder') return;
  world.remoteSide.write(file.path, file.contentHash!);
}

function remoteCopy(local: LocalNode, id: string, rev: string): RemoteNode {
  return { path: local.path, kind: local.kind, size: local.size, contentHash: local.contentHash, mtime: local.mtime, id, rev };
}

function sizeOf(contentHash: string): number {
  return contentHash.length * 7;
}

interface Fingerprint {
  kind: NodeKind;
  inode: string;
  size: number;
  mtime: number;
  contentHash: string | null;
}

/** The executor's stat check: the same node, untouched since planning (null: must not exist). */
function matches(actual: Fingerprint | undefined, expected: Fingerprint | null): boolean {
  if (expected === null) return actual === undefined;
  if (actual?.kind !== expected.kind || actual.inode !== expected.inode) return false;
  return actual.kind === 'folder'
    || (actual.size === expected.size && actual.mtime === expected.mtime && actual.contentHash === expected.contentHash);
}

function hasChildren(tree: ReadonlyMap<string, unknown>, path: string): boolean {
  for (const other of tree.keys()) if (other !== path && isSameOrBelow(other, path)) return true;
  return false;
}

function removeSubtree(tree: Map<string, unknown>, path: string): void {
  for (const other of [...tree.keys()]) if (isSameOrBelow(other, path)) tree.delete(other);
}

function moveSubtree<N extends { path: string }>(tree: Map<string, N>, from: string, to: string, adjust: (node: N) => N): void {
  const moving = [...tree.values()].filter((node) => isSameOrBelow(node.path, from));
  for (const node of moving) tree.delete(node.path);
  for (const node of moving) {
    const path = to + node.path.slice(from.length);
    tree.set(path, adjust({ ...node, path }));
  }
}
