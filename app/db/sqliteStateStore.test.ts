import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../protocol/api.js';
import { nameOf, ROOT } from '../../protocol/paths.js';
import type { BaseNode, LocalNode, RemoteChange, RemoteNode } from '../model.js';
import { toRemoteNode } from '../remote/remoteNode.js';
import { SCHEMA_VERSION } from './schema.js';
import { SqliteStateStore } from './sqliteStateStore.js';
import type { TreeWrite } from './stateStore.js';

const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);

let dir: string;
let file: string;
let store: SqliteStateStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'state-store-'));
  file = join(dir, 'state.db');
  store = SqliteStateStore.open(file);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function reopen(): void {
  store.close();
  store = SqliteStateStore.open(file);
}

const base = (path: string, extra: Partial<BaseNode> = {}): BaseNode => ({
  path, kind: 'file', size: 3, contentHash: H1, mtime: 10, remoteId: `id:${path}`, rev: 'r1', inode: `1:${path}`, ...extra,
});
const folderBase = (path: string): BaseNode => base(path, { kind: 'folder', size: 0, contentHash: null });
const local = (path: string, extra: Partial<LocalNode> = {}): LocalNode => ({
  path, kind: 'file', size: 3, contentHash: H1, mtime: 10, inode: `1:${path}`, ...extra,
});
const entry = (path: string, id: string, extra: Partial<Entry> = {}): Entry => ({
  id, path, name: nameOf(path), kind: 'file', size: 3, contentHash: H1, rev: 'r1', mtime: 10, ...extra,
});
const folderEntry = (path: string, id: string): Entry => entry(path, id, { kind: 'folder', size: 0, contentHash: null });
let seq = 0;
const change = (op: RemoteChange['op'], e: Entry, fromPath?: string): RemoteChange => ({ seq: ++seq, op, path: e.path, node: toRemoteNode(e), ...(fromPath ? { fromPath } : {}) });

describe('SqliteStateStore: schema', () => {
  it('migrates to the newest user_version in WAL mode and keeps data across reopening', () => {
    store.write([{ tree: 'base', op: 'upsert', node: base('/a') }]);
    reopen();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(store.loadBase().get('/a')).toEqual(base('/a'));
  });

  it('refuses a database from a newer app', () => {
    store.close();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => SqliteStateStore.open(file)).toThrow(/newer than this app/);
    store = SqliteStateStore.open(join(dir, 'other.db'));
  });
});

describe('SqliteStateStore: trees', () => {
  it('round-trips the three trees', () => {
    const remote: RemoteNode = { path: '/r', id: 'x', kind: 'file', size: 3, contentHash: H2, rev: 'r9', mtime: 5 };
    store.write([
      { tree: 'base', op: 'upsert', node: folderBase('/d') },
      { tree: 'local', op: 'upsert', node: local('/l', { contentHash: null }) },
      { tree: 'remote', op: 'upsert', node: remote },
    ]);
    expect([...store.loadBase().values()]).toEqual([folderBase('/d')]);
    expect([...store.loadLocal().values()]).toEqual([local('/l', { contentHash: null })]);
    expect([...store.loadRemote().values()]).toEqual([remote]);
    store.write([{ tree: 'base', op: 'upsert', node: base('/d', { rev: 'r2' }) }]);
    expect(store.loadBase().get('/d')?.rev).toBe('r2');
  });

  it('deletes a subtree and nothing that merely shares its prefix', () => {
    const paths = ['/a', '/a/b', '/a/b/c', '/a b', '/a0', '/a.txt', '/ab'];
    store.write(paths.map((path) => ({ tree: 'local' as const, op: 'upsert' as const, node: local(path) })));
    store.write([{ tree: 'local', op: 'delete', path: '/a' }]);
    expect([...store.loadLocal().keys()].sort()).toEqual(['/a b', '/a.txt', '/a0', '/ab']);
  });

  it('moves a subtree whose names hold LIKE wildcards and characters beyond the BMP', () => {
    const from = '/😀 100%_x';
    const paths = [from, `${from}/😀`, `${from}/d/%`, `${from}x`];
    store.write(paths.map((path) => ({ tree: 'base' as const, op: 'upsert' as const, node: base(path) })));
    store.write([{ tree: 'base', op: 'move', from, to: '/new/é' }]);
    const moved = store.loadBase();
    expect([...moved.keys()].sort()).toEqual([`${from}x`, '/new/é', '/new/é/d/%', '/new/é/😀'].sort());
    expect(moved.get('/new/é/d/%')).toEqual({ ...base(`${from}/d/%`), path: '/new/é/d/%' });
  });

  it('refuses to move a folder into itself', () => {
    store.write([{ tree: 'base', op: 'upsert', node: folderBase('/a') }]);
    expect(() => store.write([{ tree: 'base', op: 'move', from: '/a', to: '/a/b' }])).toThrow(/one contains the other/);
  });

  it('applies a batch all or nothing', () => {
    const clash: RemoteNode = { path: '/b', id: 'same', kind: 'file', size: 1, contentHash: H1, rev: '1', mtime: 1 };
    expect(() => store.write([
      { tree: 'base', op: 'upsert', node: base('/kept-only-if-all-pass') },
      { tree: 'remote', op: 'upsert', node: { ...clash, path: '/a' } },
      { tree: 'remote', op: 'upsert', node: clash },
    ])).toThrow(/UNIQUE/);
    expect(store.loadBase().size).toBe(0);
    expect(store.loadRemote().size).toBe(0);
  });

  it('holds 100k paths written in one transaction', () => {
    const nodes = Array.from({ length: 100_000 }, (_, i) => base(`/d${i % 100}/f${i}`));
    store.write(nodes.map((node) => ({ tree: 'base' as const, op: 'upsert' as const, node })));
    const loaded = store.loadBase();
    expect(loaded.size).toBe(100_000);
    expect(loaded.get('/d42/f99942')).toEqual(base('/d42/f99942'));
  });
});

describe('SqliteStateStore: remote changes and cursor', () => {
  it('applies create, update, subtree move and subtree delete with the cursor', () => {
    expect(store.remoteCursor()).toBeNull();
    store.applyRemoteChanges([
      change('create', folderEntry('/a', 'A')),
      change('create', folderEntry('/a/b', 'B')),
      change('create', entry('/a/b/f', 'F')),
      change('create', entry('/top', 'T')),
    ], 4);
    expect(store.remoteCursor()).toBe(4);
    store.applyRemoteChanges([
      change('update', entry('/a/b/f', 'F', { contentHash: H2, rev: 'r2' })),
      change('move', { ...folderEntry('/z', 'A'), rev: 'r3' }, '/a'),
    ], 6);
    const moved = store.loadRemote();
    expect([...moved.keys()].sort()).toEqual(['/top', '/z', '/z/b', '/z/b/f']);
    expect(moved.get('/z')).toMatchObject({ id: 'A', rev: 'r3' });
    expect(moved.get('/z/b/f')).toMatchObject({ id: 'F', contentHash: H2, rev: 'r2' });
    store.applyRemoteChanges([change('delete', folderEntry('/z', 'A'))], 7);
    expect([...store.loadRemote().keys()]).toEqual(['/top']);
    expect(store.remoteCursor()).toBe(7);
  });

  it('refuses the changes that contradict the tree (parent missing or a file, id held by another path), applies the rest and moves the cursor', () => {
    store.applyRemoteChanges([change('create', entry('/a', 'A'))], 1);
    const { refused, paths } = store.applyRemoteChanges([
      change('create', entry('/b', 'B')),
      change('create', entry('/c', 'A')),
      change('create', entry('/missing/child', 'M')),
      change('create', entry('/a/child', 'C')),
    ], 5);
    expect(paths).toEqual(['/b']);
    expect(refused).toEqual([
      { path: '/c', reason: 'its id is already the entry at /a' },
      { path: '/missing/child', reason: expect.stringContaining('parent folder /missing is not') },
      { path: '/a/child', reason: 'its parent /a is a file' },
    ]);
    expect([...store.loadRemote().keys()].sort()).toEqual(['/a', '/b']);
    expect(store.remoteCursor()).toBe(5);
  });

  it('names the paths a page changed, and not the echoes of what the tree already holds (this client\'s own changes)', () => {
    store.applyRemoteChanges([change('create', folderEntry('/a', 'A')), change('create', entry('/a/f', 'F')), change('create', entry('/g', 'G'))], 3);
    // The client recorded its own upload of /a/f (rev r2) from the service's answer before the feed echoed it.
    store.write([{ tree: 'remote', op: 'upsert', node: toRemoteNode(entry('/a/f', 'F', { contentHash: H2, rev: 'r2' })) }]);
    store.markConverged();
    const echoes = store.applyRemoteChanges([
      change('update', entry('/a/f', 'F', { contentHash: H2, rev: 'r2' })),
      change('delete', entry('/never-here', 'N')),
    ], 5);
    expect(echoes).toEqual({ paths: [], refused: [] });
    expect(store.remoteCursor()).toBe(5);
    expect(store.converged()).toBe(true);

    const news = store.applyRemoteChanges([
      change('update', entry('/a/f', 'F', { contentHash: H1, rev: 'r3' })),
      change('move', { ...entry('/h', 'G'), rev: 'r4' }, '/g'),
      change('delete', folderEntry('/a', 'A')),
    ], 8);
    expect(news.paths).toEqual(['/a/f', '/g', '/h', '/a']);
    expect([...store.loadRemote().keys()]).toEqual(['/h']);
    expect(store.converged()).toBe(false);
  });

  it('replaces the whole remote tree', () => {
    store.applyRemoteChanges([change('create', entry('/old', 'O'))], 1);
    store.replaceRemoteTree([folderEntry('/n', 'N'), entry('/n/f', 'F')].map(toRemoteNode), 40);
    expect([...store.loadRemote().keys()].sort()).toEqual(['/n', '/n/f']);
    expect(store.remoteCursor()).toBe(40);
  });

  it('keeps the converged marker across reopening until any tree changes', () => {
    expect(store.converged()).toBe(false);
    const changesTree: Array<() => void> = [
      () => store.write([{ tree: 'local', op: 'upsert', node: local('/f') }]),
      () => store.write([{ tree: 'base', op: 'delete', path: '/f' }]),
      () => store.applyRemoteChanges([change('create', entry('/r', 'R'))], 1),
      () => store.replaceRemoteTree([], 2),
    ];
    for (const write of changesTree) {
      store.markConverged();
      reopen();
      expect(store.converged()).toBe(true);
      write();
      expect(store.converged()).toBe(false);
    }
    // A feed page with no changes, or an empty batch, leaves the trees and the marker as they were.
    store.markConverged();
    store.applyRemoteChanges([], 3);
    store.write([]);
    expect(store.converged()).toBe(true);
  });

  it('stores settings', () => {
    expect(store.getSetting('host')).toBeNull();
    store.setSetting('host', 'laptop');
    store.setSetting('host', 'desk');
    expect(store.getSetting('host')).toBe('desk');
  });
});

describe('SqliteStateStore: jobs', () => {
  const err = { code: 'network', message: 'reset' };

  it('starts the jobs a plan asks for, counts attempts, requeues with the error and keeps failed ones', () => {
    const [a, b, c] = store.jobs.enqueueJobs([
      { kind: 'upload', path: '/a', payload: { ifRev: null } },
      { kind: 'download', path: '/b', payload: {} },
      { kind: 'upload', path: '/c', payload: {} },
    ], 100);
    expect(store.jobs.listJobs(['queued']).map((j) => j.id)).toEqual([a!.id, b!.id, c!.id]);
    store.jobs.startJob(b!.id, 100);
    store.jobs.startJob(a!.id, 100);
    expect(store.jobs.getJob(a!.id)).toMatchObject({ state: 'running', attempts: 1, payload: { ifRev: null } });
    store.jobs.rescheduleJob(a!.id, 500, err, 110);
    expect(store.jobs.getJob(a!.id)).toMatchObject({ state: 'queued', nextAttemptAt: 500, lastError: err });
    store.jobs.startJob(a!.id, 500);
    expect(store.jobs.getJob(a!.id)).toMatchObject({ state: 'running', attempts: 2 });
    store.jobs.completeJob(a!.id, 510);
    store.jobs.failJob(b!.id, { code: 'not_found', message: 'gone' }, 520);
    expect(() => store.jobs.startJob(a!.id, 530)).toThrow(/done or gone/);
    expect(store.jobs.listJobs(['failed']).map((j) => j.path)).toEqual(['/b']);
    expect(store.jobs.listJobs(['queued']).map((j) => j.path)).toEqual(['/c']);
    expect(store.jobs.pruneDoneJobs()).toBe(1);
    expect(store.jobs.getJob(a!.id)).toBeNull();
  });

  it('refuses to settle a job that is not running', () => {
    const [job] = store.jobs.enqueueJobs([{ kind: 'upload', path: '/a', payload: {} }], 1);
    expect(() => store.jobs.completeJob(job!.id, 2)).toThrow(/not running/);
    expect(() => store.jobs.rescheduleJob(job!.id, 3, err, 2)).toThrow(/not running/);
  });

  it('resumes after a crash: running jobs requeue, done chunks and the upload session survive', () => {
    const [job] = store.jobs.enqueueJobs([{ kind: 'upload', path: '/big', payload: { op: 'uploadFile' } }], 1);
    store.jobs.startJob(job!.id, 1);
    store.jobs.setJobPayload(job!.id, { op: 'uploadFile', uploadId: 'u-1' }, 2, 4);
    store.jobs.markChunkDone(job!.id, 0);
    store.jobs.markChunkDone(job!.id, 2);
    reopen();
    expect(store.jobs.requeueRunningJobs(3)).toBe(1);
    expect(store.jobs.getJob(job!.id)).toMatchObject({ state: 'queued', attempts: 1, payload: { uploadId: 'u-1' } });
    expect(store.jobs.pendingChunks(job!.id)).toEqual([1, 3]);
    expect(() => store.jobs.markChunkDone(job!.id, 9)).toThrow(/no chunk 9/);
  });

  it('restarts chunk state with a new session and drops chunks with their job', () => {
    const [job] = store.jobs.enqueueJobs([{ kind: 'download', path: '/d', payload: {}, chunkCount: 3 }], 1);
    store.jobs.markChunkDone(job!.id, 1);
    expect(store.jobs.pendingChunks(job!.id)).toEqual([0, 2]);
    store.jobs.setJobPayload(job!.id, { uploadId: 'u-2' }, 2, 2);
    expect(store.jobs.pendingChunks(job!.id)).toEqual([0, 1]);
    store.jobs.removeJobs([job!.id]);
    expect(store.jobs.pendingChunks(job!.id)).toEqual([]);
    expect(() => store.jobs.setJobPayload(job!.id, {}, 3)).toThrow(/does not exist/);
  });
});

describe('SqliteStateStore: reads for incremental rounds', () => {
  it('answers one path, a subtree in path order, counts, and where an inode or an entry id is', () => {
    store.write([
      { tree: 'base', op: 'upsert', node: folderBase('/d') },
      { tree: 'base', op: 'upsert', node: base('/d/x') },
      { tree: 'base', op: 'upsert', node: base('/d b') },
      { tree: 'base', op: 'upsert', node: base('/d/y/z') },
      { tree: 'local', op: 'upsert', node: local('/moved', { inode: '1:/d/x' }) },
    ]);
    expect(store.node('base', '/d/x')).toEqual(base('/d/x'));
    expect(store.node('remote', '/d/x')).toBeUndefined();
    // "/d b" sorts between "/d" and "/d/…" but is not below /d.
    expect([...store.below('base', '/d')].map((n) => n.path)).toEqual(['/d/x', '/d/y/z']);
    expect(store.count('base')).toBe(4);
    expect(store.withInode('local', '1:/d/x').map((n) => n.path)).toEqual(['/moved']);
    expect(store.withInode('base', '1:/d/x').map((n) => n.path)).toEqual(['/d/x']);
    expect(store.withRemoteId('base', 'id:/d b').map((n) => n.path)).toEqual(['/d b']);
    expect(store.withRemoteId('remote', 'id:/d b')).toEqual([]);
  });

  it('lists a folder\'s own entries in path order, jumping over each subfolder\'s subtree', () => {
    const paths = ['/d', '/d b', '/d/a', '/d/a/x', '/d/a/y', '/d/a/y/z', '/d/a b', '/d/a.txt', '/d/b', '/d/c', '/d/c/1', '/e'];
    store.write(paths.map((path): TreeWrite => ({ tree: 'local', op: 'upsert', node: local(path) })));
    // "/d/a b" and "/d/a.txt" sort between "/d/a" and "/d/a/…": a child's subtree is skipped, its later siblings are not.
    expect([...store.children('local', '/d')].map((n) => n.path)).toEqual(['/d/a', '/d/a b', '/d/a.txt', '/d/b', '/d/c']);
    expect([...store.children('local', ROOT)].map((n) => n.path)).toEqual(['/d', '/d b', '/e']);
    expect([...store.children('local', '/d/a/y')].map((n) => n.path)).toEqual(['/d/a/y/z']);
    expect([...store.children('local', '/d/b')]).toEqual([]);
  });

  it('finds the paths holding a text without loading the tree, taking % and _ literally', () => {
    const paths = ['/a (conflicted copy h 2026-12-01 101010).txt', '/d', '/d/b (conflicted copy h 2026-12-01 101010)', '/d/50% done', '/d/50_ done', '/e'];
    store.write(paths.map((path): TreeWrite => ({ tree: 'local', op: 'upsert', node: local(path) })));
    expect(store.pathsContaining('local', ' (conflicted copy ')).toEqual(['/a (conflicted copy h 2026-12-01 101010).txt', '/d/b (conflicted copy h 2026-12-01 101010)']);
    expect(store.pathsContaining('local', '%')).toEqual(['/d/50% done']);
    expect(store.pathsContaining('local', '_')).toEqual(['/d/50_ done']);
    expect(store.pathsContaining('base', ' (conflicted copy ')).toEqual([]);
  });

  it('lists a stretch of a folder\'s entries: after one entry path, through another, in code point order', () => {
    const paths = ['/d', '/d/a', '/d/a/x', '/d/a b', '/d/b', '/d/b/1', '/d/c', '/d/\u{ffee}', '/d/\u{1f600}', '/d/\u{1f600}/in', '/e'];
    store.write(paths.map((path): TreeWrite => ({ tree: 'local', op: 'upsert', node: local(path) })));
    const stretch = (range: { after?: string; through?: string }) => [...store.children('local', '/d', range)].map((n) => n.path);
    expect(stretch({ through: '/d/a b' })).toEqual(['/d/a', '/d/a b']);
    // After a folder: not its subtree, and from its next sibling on.
    expect(stretch({ after: '/d/a', through: '/d/b' })).toEqual(['/d/a b', '/d/b']);
    expect(stretch({ after: '/d/b' })).toEqual(['/d/c', '/d/\u{ffee}', '/d/\u{1f600}']);
    // The emoji sorts after U+FFEE by code point (not by UTF-16 unit), as compareCodePoints orders the slices.
    expect(stretch({ after: '/d/\u{ffee}' })).toEqual(['/d/\u{1f600}']);
    expect(stretch({ after: '/d/c', through: '/d/\u{ffee}' })).toEqual(['/d/\u{ffee}']);
    expect(stretch({ after: '/d/a b', through: '/d/a b' })).toEqual([]);
  });
});
