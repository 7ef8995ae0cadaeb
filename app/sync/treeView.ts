/**
 * A read-only tree whose iteration covers `members` while `get` may answer
 * for more (or fewer) paths: the shape of the planner's partial views.
 */
export abstract class TreeView<N> implements ReadonlyMap<string, N> {
  protected readonly members = new Map<string, N>();

  abstract get(path: string): N | undefined;

  get size(): number {
    return this.members.size;
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  keys(): MapIterator<string> {
    return this.members.keys();
  }

  values(): MapIterator<N> {
    return this.members.values();
  }

  entries(): MapIterator<[string, N]> {
    return this.members.entries();
  }

  [Symbol.iterator](): MapIterator<[string, N]> {
    return this.members.entries();
  }

  forEach(callback: (value: N, key: string, map: ReadonlyMap<string, N>) => void): void {
    for (const [key, value] of this.members) callback(value, key, this);
  }
}
