import { describe, expect, it } from 'vitest';
import type { BaseNode, LocalNode, RemoteNode } from '../model.js';
import type { SyncOp } from './ops.js';
import { planSync } from './planner.js';
import { applySelection, keepLeavingOps } from './selective.js';

const remote = (path: string, kind: 'file' | 'folder' = 'file', hash = 'h'): RemoteNode => ({
  path, kind, size: kind === 'file' ? 1 : 0, contentHash: kind === 'file' ? hash : null, mtime: 1, id: `id${path}`, rev: '1',
});
const base = (path: string, kind: 'file' | 'folder' = 'file'): BaseNode => ({ ...remote(path, kind), remoteId: `id${path}`, inode: `i${path}` });
const local = (path: string, kind: 'file' | 'folder' = 'file', hash: string | null = 'h'): LocalNode => ({
  path, kind, size: kind === 'file' ? 1 : 0, contentHash: kind === 'file' ? hash : null, mtime: 1, inode: `i${path}`,
});
const tree = <N extends { path: string }>(...nodes: N[]) => new Map(nodes.map((node) => [node.path, node]));
const summary = (ops: readonly SyncOp[]) => ops.map((op) => [op.type, 'path' in op ? op.path : `${op.from}>${op.to}`]);
const options = { syncNewFolders: true, host: 'pc', now: Date.UTC(2026, 0, 2, 3, 4, 5) };

describe('applySelection', () => {
  it('hides an excluded folder in all three trees: nothing downloaded, its local absence is no deletion', () => {
    const trees = {
      base: tree(base('/p', 'folder'), base('/p/a')),
      local: tree<LocalNode>(),
      remote: tree(remote('/p', 'folder'), remote('/p/a'), remote('/p/new'), remote('/q', 'folder')),
    };
    // Without the rule, the missing local copy would be sent to the service as deletions.
    expect(planSync(trees, options).some((op) => op.type === 'deleteRemote')).toBe(true);
    const selection = applySelection(trees, [{ path: '/p', state: 'excluded' }], options);
    expect(summary(planSync(selection.trees, options))).toEqual([['mkdirLocal', '/q']]);
    expect(selection.ops).toEqual([]);
  });

  it('moves a local entry at an excluded path aside to a free conflicted-copy name', () => {
    const copy = '/p (conflicted copy pc 2026-01-02 030405)';
    const trees = {
      base: tree<BaseNode>(),
      local: tree(local('/p', 'folder'), local('/p/mine'), local(copy, 'folder')),
      remote: tree(remote('/p', 'folder'), remote('/p/theirs')),
    };
    const selection = applySelection(trees, [{ path: '/p', state: 'excluded' }], options);
    expect(selection.ops).toEqual([{ type: 'conflict', path: '/p', conflictPath: '/p (conflicted copy pc 2026-01-02 030405 2)', expectLocal: local('/p', 'folder'), remote: remote('/p', 'folder') }]);
    // An unhashed file waits for its hash.
    const unhashed = { ...trees, local: tree(local('/p', 'file', null)) };
    expect(applySelection(unhashed, [{ path: '/p', state: 'excluded' }], options).ops).toEqual([]);
  });

  it('sets aside new top-level remote folders only when "sync new folders" is off, and only ones this computer never had', () => {
    const trees = {
      base: tree(base('/old', 'folder')),
      local: tree(local('/old', 'folder'), local('/mine', 'folder')),
      remote: tree(remote('/old', 'folder'), remote('/new', 'folder'), remote('/kept', 'folder'), remote('/mine', 'folder'), remote('/old/sub', 'folder'), remote('/file')),
    };
    expect(applySelection(trees, [], options).newlyExcluded).toEqual([]);
    const off = applySelection(trees, [{ path: '/kept', state: 'kept' }], { ...options, syncNewFolders: false });
    expect(off.newlyExcluded).toEqual(['/new']);
    expect([...off.trees.remote.keys()].sort()).toEqual(['/file', '/kept', '/mine', '/old', '/old/sub']);
  });

  it('drops rules whose remote folder is gone, but keeps a folder being let go of until its local copy is safe', () => {
    const trees = { base: tree<BaseNode>(), local: tree<LocalNode>(), remote: tree(remote('/f')) };
    const selection = applySelection(trees, [
      { path: '/gone', state: 'excluded' }, { path: '/f', state: 'kept' }, { path: '/leaving', state: 'leaving' },
    ], options);
    expect(selection.gone).toEqual(['/gone', '/f']);
    expect([...selection.leaving]).toEqual(['/leaving']);
  });
});

describe('keepLeavingOps', () => {
  it('inside a folder being let go of keeps only what brings local content to the service', () => {
    const trees = {
      base: tree(base('/p', 'folder'), base('/p/edited'), base('/p/deleted'), base('/p/stale'), base('/q', 'folder'), base('/q/gone')),
      local: tree(local('/p', 'folder'), local('/p/edited', 'file', 'h2'), local('/p/stale'), local('/p/new'), local('/q', 'folder'), local('/q/gone')),
      remote: tree(remote('/p', 'folder'), remote('/p/edited'), remote('/p/deleted'), remote('/p/stale', 'file', 'h3'), remote('/p/theirs'), remote('/q', 'folder')),
    };
    const ops = planSync(trees, options);
    expect(summary(ops)).toEqual(expect.arrayContaining([['deleteRemote', '/p/deleted'], ['downloadFile', '/p/stale'], ['downloadFile', '/p/theirs'], ['deleteLocal', '/q/gone']]));
    expect(summary(keepLeavingOps(ops, new Set(['/p'])))).toEqual([['uploadFile', '/p/edited'], ['uploadFile', '/p/new'], ['deleteLocal', '/q/gone']]);
  });
});
