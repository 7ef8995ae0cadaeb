import { ROOT, parentOf } from '../../../protocol/paths.js';
import type { TreeName, TreeNodes, TreeStore } from '../../db/stateStore.js';
import type { SyncTrees } from '../../sync/planner.js';
import { TreeView } from '../../sync/treeView.js';
import { outermost } from './dirtyPaths.js';

/**
 * One tree as the planner sees it in an incremental round: iteration covers
 * only the paths in scope (loaded by indexed range reads), while `get` and
 * `has` answer for any path from the database, so a question about a parent
 * folder or a free conflicted-copy name is answered right, not "absent".
 */
export class ScopedTree<T extends TreeName> extends TreeView<TreeNodes[T]> {
  private readonly outside = new Map<string, TreeNodes[T] | undefined>();

  constructor(private readonly state: TreeStore, private readonly tree: T) {
    super();
  }

  /** Loads `path` and everything below it into the scope. */
  loadSubtree(path: string): TreeNodes[T][] {
    const added: TreeNodes[T][] = [];
    const node = this.state.node(this.tree, path);
    if (node) added.push(node);
    for (const below of this.state.below(this.tree, path)) added.push(below);
    for (const n of added) this.members.set(n.path, n);
    return added;
  }

  /** Loads just `path` into the scope (an ancestor of a planned path). */
  loadOne(path: string): void {
    const node = this.state.node(this.tree, path);
    if (node) this.members.set(path, node);
  }

  get(path: string): TreeNodes[T] | undefined {
    const node = this.members.get(path);
    if (node || this.members.has(path)) return node;
    if (!this.outside.has(path)) this.outside.set(path, this.state.node(this.tree, path));
    return this.outside.get(path);
  }
}

/**
 * The part of the three trees a plan over `roots` needs: each root's subtree
 * in every tree, their ancestors (folder readiness), and, closed over, the
 * other end of every move (a base node whose inode or entry id shows up at a
 * path outside the scope, and back), so a rename whose two ends were reported
 * apart still pairs up. Memory grows with the change, not with the folder.
 */
export function loadScopedTrees(state: TreeStore, roots: readonly string[]): SyncTrees & { roots: string[] } {
  const base = new ScopedTree(state, 'base');
  const local = new ScopedTree(state, 'local');
  const remote = new ScopedTree(state, 'remote');
  const loaded = new Set<string>();
  let queue = outermost(roots.map((path) => ({ path }))).map((entry) => entry.path);
  while (queue.length > 0) {
    const next = new Set<string>();
    for (const root of queue) {
      if (isCovered(root, loaded)) continue;
      loaded.add(root);
      for (let p = parentOf(root); p !== ROOT; p = parentOf(p)) {
        base.loadOne(p);
        local.loadOne(p);
        remote.loadOne(p);
      }
      const bases = base.loadSubtree(root);
      const locals = local.loadSubtree(root);
      const remotes = remote.loadSubtree(root);
      // Only a path missing on one side (or new there) can be one end of a move.
      for (const node of bases) {
        if (node.inode !== null && !local.has(node.path)) for (const to of state.withInode('local', node.inode)) next.add(to.path);
        if (!remote.has(node.path)) for (const to of state.withRemoteId('remote', node.remoteId)) next.add(to.path);
      }
      for (const node of locals) {
        if (!base.has(node.path)) for (const from of state.withInode('base', node.inode)) next.add(from.path);
      }
      for (const node of remotes) {
        if (!base.has(node.path)) for (const from of state.withRemoteId('base', node.id)) next.add(from.path);
      }
    }
    queue = [...next].filter((path) => !isCovered(path, loaded));
  }
  return { base, local, remote, roots: [...loaded] };
}

function isCovered(path: string, roots: ReadonlySet<string>): boolean {
  for (let p = path; ; p = parentOf(p)) {
    if (roots.has(p)) return true;
    if (p === ROOT) return false;
  }
}
