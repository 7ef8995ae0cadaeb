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
  it('covers every unsettled node of the three trees exactly once, a top-level entry with its subtree, about maxNodes at a time', () => {
    for (let f = 0; f < 5; f++) {
      synced(`/f${f}`, `id-f${f}`, 'folder');
      for (let i = 0; i < 4; i++) synced(`/f${f}/x${i}`, `id-f${f}-${i}`);
      for (let i = 0; i < 4; i++) state.write([{ tree: 'local', op: 'upsert', node: local(`/f${f}/new${i}`) }]);
    }
    state.write([{ tree: 'local', op: 'upsert', node: local('/new.txt') }, { tree: 'remote', op: 'upsert', node: remote('/f2/only-remote', 'id-r') }]);

    const scopes = [...wholeTreeScopes(state, 3)];
    // Each folder holds 4 unsettled nodes (5 in /f2, with its remote-only file), then the new local file: one scope each.
    expect(scopes.map((scope) => scope.roots)).toEqual([['/f0'], ['/f1'], ['/f2'], ['/f3'], ['/f4'], ['/new.txt']]);
    const seen = scopes.flatMap((scope) => ['base', 'local', 'remote'].flatMap((tree) => [...scope[tree as keyof SyncTrees].keys()].map((path) => `${tree}:${path}`)));
    expect(new Set(seen).size).toBe(seen.length);
    // The 25 synced paths are left out of every tree; all the rest is there.
    expect(seen.length).toBe(state.count('base') + state.count('local') + state.count('remote') - 3 * 25);
    expect(seen.some((entry) => entry.includes('/x'))).toBe(false);
    // ... and the trees still answer for them, and for what is absent, as the database does.
    const [f0] = scopes;
    expect(f0!.base.get('/f0/x1')).toEqual(state.node('base', '/f0/x1'));
    expect(f0!.local.has('/f0')).toBe(true);
    expect(f0!.remote.has('/f0/new0')).toBe(false);

    expect([...wholeTreeScopes(state, 10)].map((scope) => scope.roots)).toEqual([['/f0', '/f1', '/f2'], ['/f3', '/f4', '/new.txt']]);
  });

  it('plans, scope by scope without the settled paths, what one plan over the whole trees plans', () => {
    synced('/d', 'id-d', 'folder');
    for (let i = 0; i < 40; i++) synced(`/d/f${i}`, `id-${i}`);
    const edit = (path: string, hash: string) => ({ ...state.node('local', path)!, contentHash: hash, size: 4 });
    state.write([
      { tree: 'local', op: 'upsert', node: edit('/d/f1', 'b'.repeat(64)) },
      { tree: 'remote', op: 'upsert', node: { ...state.node('remote', '/d/f2')!, contentHash: 'c'.repeat(64), rev: '2' } },
      { tree: 'local', op: 'upsert', node: edit('/d/f3', 'd'.repeat(64)) },
      { tree: 'remote', op: 'upsert', node: { ...state.node('remote', '/d/f3')!, contentHash: 'e'.repeat(64), rev: '2' } },
      { tree: 'local', op: 'delete', path: '/d/f4' },
      { tree: 'remote', op: 'delete', path: '/d/f5' },
      // The same content on both sides, but a base that records an older mtime: only the base moves.
      { tree: 'base', op: 'upsert', node: { ...state.node('base', '/d/f6')!, mtime: 1 } },
      { tree: 'local', op: 'upsert', node: { ...local('/d/f7'), contentHash: null } },
      { tree: 'local', op: 'upsert', node: local('/d/sub', 'folder') },
      { tree: 'local', op: 'upsert', node: local('/d/sub/new') },
    ]);
    const whole = plan(wholeTrees());
    expect(whole.map((op) => op.type).sort()).toEqual(['conflict', 'deleteLocal', 'deleteRemote', 'downloadFile', 'mkdirRemote', 'updateBase', 'uploadFile', 'uploadFile']);
    for (const maxNodes of [1, 5, 1000]) {
      const scopes = [...wholeTreeScopes(state, maxNodes)];
      expect(scopes.reduce((n, scope) => n + scope.base.size + scope.local.size + scope.remote.size, 0)).toBeLessThan(40);
      expect(sortOps(scopes.flatMap((scope) => plan(scope)))).toEqual(sortOps(whole));
    }
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
