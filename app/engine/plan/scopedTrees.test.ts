import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../db/sqliteStateStore.js';
import type { BaseNode, LocalNode, RemoteNode } from '../../model.js';
import { planSync, type SyncTrees } from '../../sync/planner.js';
import { wholeTreeScopes } from './scopedTrees.js';

let dir: string;
let state: SqliteStateStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'netdisk-scopes-'));
  state = SqliteStateStore.open(join(dir, 'state.sqlite'));
});

afterEach(() => {
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

const HASH = 'a'.repeat(64);
let inodes = 0;

function local(path: string, kind: 'file' | 'folder' = 'file', inode = `1:${++inodes}`): LocalNode {
  return { path, kind, size: kind === 'file' ? 3 : 0, contentHash: kind === 'file' ? HASH : null, mtime: 1000, inode };
}

function remote(path: string, id: string, kind: 'file' | 'folder' = 'file'): RemoteNode {
  return { path, kind, size: kind === 'file' ? 3 : 0, contentHash: kind === 'file' ? HASH : null, mtime: 1000, id, rev: '1' };
}

/** A path synced on both sides: base, local and remote agree. */
function synced(path: string, id: string, kind: 'file' | 'folder' = 'file'): void {
  const l = local(path, kind);
  const base: BaseNode = { path, kind, size: l.size, contentHash: l.contentHash, mtime: l.mtime, remoteId: id, rev: '1', inode: l.inode };
  state.write([{ tree: 'local', op: 'upsert', node: l }, { tree: 'base', op: 'upsert', node: base }, { tree: 'remote', op: 'upsert', node: remote(path, id, kind) }]);
}

/** The three trees whole, as one plan over everything used to load them. */
function wholeTrees(): SyncTrees {
  return { base: state.loadBase(), local: state.loadLocal(), remote: state.loadRemote() };
}

const plan = (trees: SyncTrees) => planSync(trees, { host: 'host', now: Date.UTC(2026, 11, 1) });

describe('wholeTreeScopes', () => {
  it('covers every node of the three trees exactly once, a top-level entry with its subtree, about maxNodes at a time', () => {
    for (let f = 0; f < 5; f++) {
      synced(`/f${f}`, `id-f${f}`, 'folder');
      for (let i = 0; i < 4; i++) synced(`/f${f}/x${i}`, `id-f${f}-${i}`);
    }
    state.write([{ tree: 'local', op: 'upsert', node: local('/new.txt') }, { tree: 'remote', op: 'upsert', node: remote('/f2/only-remote', 'id-r') }]);

    const scopes = [...wholeTreeScopes(state, 12)];
    // 5 folders of 15 nodes (5 paths in 3 trees, one with a remote-only file), then the new local file: one scope each.
    expect(scopes.map((scope) => scope.roots)).toEqual([['/f0'], ['/f1'], ['/f2'], ['/f3'], ['/f4'], ['/new.txt']]);
    const seen = scopes.flatMap((scope) => ['base', 'local', 'remote'].flatMap((tree) => [...scope[tree as keyof SyncTrees].keys()].map((path) => `${tree}:${path}`)));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(state.count('base') + state.count('local') + state.count('remote'));

    expect([...wholeTreeScopes(state, 40)].map((scope) => scope.roots)).toEqual([['/f0', '/f1', '/f2'], ['/f3', '/f4', '/new.txt']]);
  });

  it('puts both ends of a move between top-level folders in one scope and plans it as a move, as a plan over the whole trees does', () => {
    for (const f of ['/a', '/m', '/z']) synced(f, `id${f}`, 'folder');
    synced('/a/doc.txt', 'id-doc');
    for (let i = 0; i < 20; i++) synced(`/m/filler${i}`, `id-m${i}`);
    // Renamed locally from /a into /z, seen by inode: the scope of /a must bring /z along.
    const moved = state.node('local', '/a/doc.txt')!;
    state.write([{ tree: 'local', op: 'move', from: '/a/doc.txt', to: '/z/doc.txt' }]);
    expect(state.node('local', '/z/doc.txt')?.inode).toBe(moved.inode);
    // And /m/filler3 was moved on the service to the top level.
    state.write([{ tree: 'remote', op: 'move', from: '/m/filler3', to: '/filler3' }]);

    const whole = plan(wholeTrees());
    expect(whole).toContainEqual(expect.objectContaining({ type: 'moveRemote', from: '/a/doc.txt', to: '/z/doc.txt' }));
    expect(whole).toContainEqual(expect.objectContaining({ type: 'moveLocal', from: '/m/filler3', to: '/filler3' }));

    const scopes = [...wholeTreeScopes(state, 1)];
    expect(scopes.find((scope) => scope.roots.includes('/a'))?.roots).toContain('/z');
    expect(scopes.find((scope) => scope.roots.includes('/m'))?.roots).toContain('/filler3');
    expect(scopes.flatMap((scope) => scope.roots).sort()).toEqual(['/a', '/filler3', '/m', '/z']);
    const inScopes = scopes.flatMap((scope) => plan(scope));
    expect(sortOps(inScopes)).toEqual(sortOps(whole));
  });

  it('gives one empty scope for empty trees', () => {
    const scopes = [...wholeTreeScopes(state, 10)];
    expect(scopes).toHaveLength(1);
    expect(scopes[0]!.roots).toEqual([]);
    expect(plan(scopes[0]!)).toEqual([]);
  });
});

function sortOps<T>(ops: readonly T[]): string[] {
  return ops.map((op) => JSON.stringify(op)).sort();
}
