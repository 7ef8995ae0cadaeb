import { ROOT, parentOf } from '../../../protocol/paths.js';
import { compareCodePoints } from '../../base/codePointOrder.js';
import type { TreeName, TreeNodes, TreeStore } from '../../db/stateStore.js';
import type { BaseNode, LocalNode, RemoteNode } from '../../model.js';
import { isSettled, type SyncTrees } from '../../sync/planner.js';
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

  /** `loaded`: whether `path` lies in a loaded subtree and is not a settled path left out of it, so that not loaded means absent. */
  constructor(private readonly state: TreeStore, private readonly tree: T, private readonly loaded: (path: string) => boolean) {
    super();
  }

  /** Adds a loaded node to the scope. */
  add(node: TreeNodes[T]): void {
    this.members.set(node.path, node);
  }

  /** Loads just `path` into the scope (an ancestor of a planned path). */
  loadOne(path: string): void {
    const node = this.state.node(this.tree, path);
    if (node) this.members.set(path, node);
  }

  get(path: string): TreeNodes[T] | undefined {
    const node = this.members.get(path);
    if (node || this.members.has(path) || this.loaded(path)) return node;
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
export function loadScopedTrees(state: TreeStore, roots: readonly string[]): ScopedTrees {
  const scope = new Scope(state, { widen: (path) => path, skip: () => false, noBase: false });
  scope.add(roots);
  return scope.trees();
}

export type ScopedTrees = SyncTrees & { roots: string[] };

/**
 * The whole trees as a sequence of scopes of about `maxNodes` nodes each (a
 * top-level entry with a larger subtree makes a larger one), for a plan over
 * everything that never holds the three trees whole: 100,000 files' worth of
 * them was the peak of an initial sync. Each scope is whole top-level entries
 * (a folder with its subtree), closed over moves as loadScopedTrees is, but a
 * move's other end brings its whole top-level entry along, so no entry is in
 * two scopes and each is planned once. At least one scope, empty when the
 * trees are.
 */
export function* wholeTreeScopes(state: TreeStore, maxNodes: number): Generator<ScopedTrees> {
  const covered = new Set<string>();
  // Nothing was synced yet (a first sync): no entry can have moved, and no lookup need ask where to.
  const noBase = state.count('base') === 0;
  const options: ScopeOptions = { widen: topLevelOf, skip: (path) => covered.has(path), noBase };
  let scope: Scope | null = null;
  let yielded = false;
  for (const unit of topLevelPaths(state)) {
    if (covered.has(unit)) continue;
    scope ??= new Scope(state, options);
    for (const root of scope.add([unit])) covered.add(root);
    if (scope.size >= maxNodes) {
      yield scope.trees();
      yielded = true;
      scope = null;
    }
  }
  if (scope) yield scope.trees();
  else if (!yielded) yield new Scope(state, options).trees();
}

/** Every top-level path of the three trees, in order. */
function topLevelPaths(state: TreeStore): string[] {
  const paths = new Set<string>();
  for (const tree of ['base', 'local', 'remote'] as const) for (const node of state.children(tree, ROOT)) paths.add(node.path);
  return [...paths].sort();
}

/** The top-level entry `path` lies in (itself when it is one). */
function topLevelOf(path: string): string {
  const slash = path.indexOf('/', 1);
  return slash === -1 ? path : path.slice(0, slash);
}

interface ScopeOptions {
  /** What to load for a move's other end: that path, or its whole top-level entry. */
  widen: (path: string) => string;
  /** Other ends not to load (planned in another scope). */
  skip: (path: string) => boolean;
  /** The base tree is empty: there are no moves to close over. */
  noBase: boolean;
}

/** Scoped views of the three trees, loaded a root at a time (see loadScopedTrees). */
class Scope {
  private readonly base: ScopedTree<'base'>;
  private readonly local: ScopedTree<'local'>;
  private readonly remote: ScopedTree<'remote'>;
  private readonly loaded = new Set<string>();
  /** Paths in loaded subtrees left out because they are settled (isSettled): the trees answer for them from the database. */
  private readonly settled = new Set<string>();

  constructor(private readonly state: TreeStore, private readonly options: ScopeOptions) {
    const loaded = (path: string) => this.holds(path);
    this.base = new ScopedTree(state, 'base', loaded);
    this.local = new ScopedTree(state, 'local', loaded);
    this.remote = new ScopedTree(state, 'remote', loaded);
  }

  get size(): number {
    return this.base.size + this.local.size + this.remote.size;
  }

  holds(path: string): boolean {
    return isCovered(path, this.loaded) && !this.settled.has(path);
  }

  trees(): ScopedTrees {
    return { base: this.base, local: this.local, remote: this.remote, roots: [...this.loaded] };
  }

  /** Loads `roots` and, closed over, the other ends of their moves; returns the roots it loaded. */
  add(roots: readonly string[]): string[] {
    const { state, base, local, remote, loaded } = this;
    const added: string[] = [];
    let queue = outermost(roots.map((path) => ({ path }))).map((entry) => entry.path);
    while (queue.length > 0) {
      const next = new Set<string>();
      for (const root of queue) {
        if (isCovered(root, loaded)) continue;
        loaded.add(root);
        added.push(root);
        for (let p = parentOf(root); p !== ROOT; p = parentOf(p)) {
          base.loadOne(p);
          local.loadOne(p);
          remote.loadOne(p);
        }
        const { bases, locals, remotes } = this.loadSubtree(root);
        if (this.options.noBase) continue;
        const { widen } = this.options;
        // Only a path missing on one side (or new there) can be one end of a move.
        for (const node of bases) {
          if (node.inode !== null && !local.has(node.path)) for (const to of state.withInode('local', node.inode)) next.add(widen(to.path));
          if (!remote.has(node.path)) for (const to of state.withRemoteId('remote', node.remoteId)) next.add(widen(to.path));
        }
        for (const node of locals) {
          if (!base.has(node.path)) for (const from of state.withInode('base', node.inode)) next.add(widen(from.path));
        }
        for (const node of remotes) {
          if (!base.has(node.path)) for (const from of state.withRemoteId('base', node.id)) next.add(widen(from.path));
        }
      }
      queue = [...next].filter((path) => !isCovered(path, loaded) && !this.options.skip(path));
    }
    return added;
  }

  /**
   * Loads `root` and its subtree in the three trees, path by path, leaving
   * out the settled paths: the planner has nothing to do there, and after a
   * sync that is nearly all of them, so a plan over 100,000 agreeing files
   * holds their paths, not three trees of them. Returns what it loaded.
   */
  private loadSubtree(root: string): { bases: BaseNode[]; locals: LocalNode[]; remotes: RemoteNode[] } {
    const loaded = { bases: [] as BaseNode[], locals: [] as LocalNode[], remotes: [] as RemoteNode[] };
    for (const [b, l, r] of alignedSubtrees(this.state, root)) {
      if (isSettled(b, l, r)) {
        this.settled.add((b ?? l ?? r)!.path);
        continue;
      }
      if (b) {
        this.base.add(b);
        loaded.bases.push(b);
      }
      if (l) {
        this.local.add(l);
        loaded.locals.push(l);
      }
      if (r) {
        this.remote.add(r);
        loaded.remotes.push(r);
      }
    }
    return loaded;
  }
}

type Aligned = [BaseNode | undefined, LocalNode | undefined, RemoteNode | undefined];

/** `root` and the nodes below it in the three trees, as one row per path: the three index-ordered streams merged. */
function* alignedSubtrees(state: TreeStore, root: string): Generator<Aligned> {
  const streams = (['base', 'local', 'remote'] as const).map((tree) => subtree(state, tree, root));
  const heads = streams.map((stream) => stream.next());
  for (;;) {
    let path: string | undefined;
    for (const head of heads) if (!head.done && (path === undefined || compareCodePoints(head.value.path, path) < 0)) path = head.value.path;
    if (path === undefined) return;
    yield heads.map((head, i) => {
      if (head.done || head.value.path !== path) return undefined;
      heads[i] = streams[i]!.next();
      return head.value;
    }) as Aligned;
  }
}

/** A tree's node at `root` (if any), then the nodes below it, in path order. */
function* subtree(state: TreeStore, tree: TreeName, root: string): Generator<BaseNode | LocalNode | RemoteNode> {
  const node = state.node(tree, root);
  if (node) yield node;
  yield* state.below(tree, root);
}

function isCovered(path: string, roots: ReadonlySet<string>): boolean {
  for (let p = path; ; p = parentOf(p)) {
    if (roots.has(p)) return true;
    if (p === ROOT) return false;
  }
}
