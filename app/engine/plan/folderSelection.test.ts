import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../db/sqliteStateStore.js';
import { StateDirTrash } from '../../local/trash.js';
import type { BaseNode, LocalNode, RemoteNode } from '../../model.js';
import type { SyncOp } from '../../sync/ops.js';
import { applySelection } from '../../sync/selective.js';
import { FolderSelection } from './folderSelection.js';
import { LocalPaths } from '../../local/localPaths.js';

const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);
const remote = (path: string, kind: 'file' | 'folder' = 'file', hash: string | null = H1, size = 3): RemoteNode => ({
  path, kind, size: kind === 'file' ? size : 0, contentHash: kind === 'file' ? hash : null, mtime: 1, id: `id${path}`, rev: '1',
});
const base = (path: string, kind: 'file' | 'folder' = 'file'): BaseNode => ({ ...remote(path, kind), remoteId: `id${path}`, inode: `i${path}` });
const local = (path: string, kind: 'file' | 'folder' = 'file', hash: string | null = H1): LocalNode => ({
  path, kind, size: kind === 'file' ? 3 : 0, contentHash: kind === 'file' ? hash : null, mtime: 1, inode: `i${path}`,
});

let dir: string;
let root: string;
let state: SqliteStateStore;
let selection: FolderSelection;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'folder-selection-'));
  root = join(dir, 'folder');
  mkdirSync(join(root, 'p'), { recursive: true });
  writeFileSync(join(root, 'p', 'a'), 'abc');
  state = SqliteStateStore.open(join(dir, 'state.db'));
  selection = new FolderSelection(state, new LocalPaths(root), new StateDirTrash(join(dir, 'state')));
  state.replaceRemoteTree([remote('/p', 'folder'), remote('/p/a')], 1);
  state.write([
    { tree: 'base', op: 'upsert', node: base('/p', 'folder') }, { tree: 'base', op: 'upsert', node: base('/p/a') },
    { tree: 'local', op: 'upsert', node: local('/p', 'folder') }, { tree: 'local', op: 'upsert', node: local('/p/a') },
  ]);
  state.folderRules.change(['/p'], [{ path: '/p', state: 'leaving' }]);
});

afterEach(() => {
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What one plan over the whole trees finds, with `ops` as the plan's. */
function finding(ops: SyncOp[] = [], scope: string[] | null = null) {
  const trees = { base: state.loadBase(), local: state.loadLocal(), remote: state.loadRemote() };
  return { selection: applySelection(trees, state.folderRules.rules(), { syncNewFolders: true, host: 'pc', now: 0 }), ops, scope };
}

describe('FolderSelection.settle on real SQLite and a real folder', () => {
  it('keeps the local copy while a local file differs from both the base and the service, even when no op says so', async () => {
    state.write([{ tree: 'local', op: 'upsert', node: local('/p/a', 'file', H2) }]);
    expect(await selection.settle(finding())).toEqual([]);
    state.write([{ tree: 'local', op: 'upsert', node: local('/p/b', 'file', null) }, { tree: 'local', op: 'upsert', node: local('/p/a') }]);
    expect(await selection.settle(finding())).toEqual([]);
    expect(existsSync(join(root, 'p', 'a'))).toBe(true);
    expect(state.folderRules.rules()).toEqual([{ path: '/p', state: 'leaving' }]);
  });

  it('waits while the plan still has work inside, or when the plan did not look at the folder', async () => {
    const upload: SyncOp = { type: 'uploadFile', path: '/p/a', local: local('/p/a'), ifRev: '1' };
    expect(await selection.settle(finding([upload]))).toEqual([]);
    expect(await selection.settle(finding([], ['/elsewhere']))).toEqual([]);
    expect(await selection.settle(finding([], ['/p/a']))).toEqual(['/p']);
  });

  it('lets go once every local file is the base version or the service\'s: the folder goes to the trash, the trees forget it', async () => {
    // A file the service has under the same content counts as on the service, base or not.
    writeFileSync(join(root, 'p', 'b'), 'xyz');
    state.replaceRemoteTree([remote('/p', 'folder'), remote('/p/a'), remote('/p/b', 'file', H2)], 2);
    state.write([{ tree: 'local', op: 'upsert', node: local('/p/b', 'file', H2) }]);
    expect(await selection.settle(finding())).toEqual(['/p']);
    expect(existsSync(join(root, 'p'))).toBe(false);
    expect(readdirSync(join(dir, 'state', 'trash'))).toEqual([expect.stringMatching(/-p$/)]);
    expect([...state.loadLocal().keys()]).toEqual([]);
    expect([...state.loadBase().keys()]).toEqual([]);
    expect(state.loadRemote().size).toBe(3);
    expect(state.folderRules.rules()).toEqual([{ path: '/p', state: 'excluded' }]);
    // The next plan looks again (the trees changed).
    expect(state.converged()).toBe(false);
  });
});

describe('FolderRuleTable', () => {
  it('sums sizes per child over the subtree, names with any characters, and forgets convergence on every change', () => {
    state.replaceRemoteTree([
      remote('/照片', 'folder'), remote('/照片/旅行', 'folder'), remote('/照片/旅行/一.jpg', 'file', H1, 10), remote('/照片/二.jpg', 'file', H1, 5),
      remote('/照片/旅行/深', 'folder'), remote('/x.txt', 'file', H1, 7), remote('/空', 'folder'),
    ], 3);
    expect(state.folderRules.remoteChildren('/')).toEqual([
      { name: 'x.txt', kind: 'file', size: 7, files: 1, hasFolders: false },
      { name: '照片', kind: 'folder', size: 15, files: 2, hasFolders: true },
      { name: '空', kind: 'folder', size: 0, files: 0, hasFolders: false },
    ]);
    expect(state.folderRules.remoteChildren('/照片')).toEqual([
      { name: '二.jpg', kind: 'file', size: 5, files: 1, hasFolders: false },
      { name: '旅行', kind: 'folder', size: 10, files: 1, hasFolders: true },
    ]);
    state.markConverged();
    state.folderRules.setSyncNewFolders(false);
    expect(state.converged()).toBe(false);
    expect(state.folderRules.syncNewFolders()).toBe(false);
    state.markConverged();
    state.folderRules.change(['/'], [{ path: '/照片/旅行', state: 'excluded' }]);
    expect(state.converged()).toBe(false);
    expect(state.folderRules.rules()).toEqual([{ path: '/照片/旅行', state: 'excluded' }]);
  });
});
