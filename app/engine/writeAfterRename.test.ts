import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryHasher } from '../../test/sim/memoryHasher.js';
import { hashBytes } from '../../protocol/contentHash.js';
import { SqliteStateStore } from '../db/sqliteStateStore.js';
import { IgnoreRules } from '../local/ignore.js';
import { nodeLocalFs } from '../local/localFs.js';
import { Scanner } from '../local/scanner.js';
import { StateDirTrash } from '../local/trash.js';
import type { NodeKind, RemoteNode } from '../model.js';
import { LocalObserver } from './plan/localObserver.js';
import { LocalOps } from './execute/localOps.js';
import { LocalPaths, placedNode, statLocal } from '../local/localPaths.js';
import { OpExecutor } from './execute/opExecutor.js';

/**
 * Counterexample seed -349191545 path "3" of the randomized watch suite: the
 * user's write to `/a` landed right after the engine renamed `/a` to its
 * conflicted copy. The copy was recorded with the stat taken after the write
 * and the hash from before it, so every later look trusted the old hash,
 * every upload found other bytes ("changed while it was being uploaded") and
 * the conflicted copy never reached the service.
 */
/** Real hashing of the real files, on this thread. */
const hasher = new MemoryHasher(nodeLocalFs);
const hashOf = (content: string) => hashBytes(Buffer.from(content)).contentHash;

/** The user's write lands right after the engine's rename, before the engine looks at the renamed file. */
class WriteAfterRename extends LocalPaths {
  write: { path: string; content: string } | null = null;
  override forget(drivePath: string, kind: NodeKind): void {
    super.forget(drivePath, kind);
    if (this.write) writeFileSync(this.abs(this.write.path), this.write.content);
    this.write = null;
  }
}

let dir: string;
let root: string;
let state: SqliteStateStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'netdisk-write-after-rename-'));
  root = join(dir, 'root');
  mkdirSync(root);
  state = SqliteStateStore.open(join(dir, 'state.sqlite'));
});
afterEach(() => {
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a write that lands right after the sync renamed the file (seed -349191545 path "3")', () => {
  it('the conflicted copy is recorded without the old hash, and the next look hashes what the user wrote', async () => {
    const paths = new WriteAfterRename(root);
    const rules = new IgnoreRules(root);
    await rules.load();
    const observer = new LocalObserver(new Scanner(root, { rules }), hasher, state, paths, 2);
    writeFileSync(join(root, 'a'), 'host-b write 9.');
    await observer.observe(new AbortController().signal);
    const seen = state.node('local', '/a')!;
    expect(seen.contentHash).toBe(hashOf('host-b write 9.'));

    const remote: RemoteNode = { path: '/a', kind: 'file', size: 3, contentHash: hashOf('abc'), mtime: 1, id: 'e1', rev: '3' };
    const executor = new OpExecutor({} as never, new LocalOps(paths, new StateDirTrash(join(dir, 'trash'))), state, () => 0);
    const copy = '/a (conflicted copy host-b 2026-12-01 022400)';
    paths.write = { path: copy, content: 'host-b write 10..' };
    await executor.run({ type: 'conflict', path: '/a', conflictPath: copy, expectLocal: seen, remote }, new AbortController().signal);
    expect(readFileSync(join(root, copy), 'utf8')).toBe('host-b write 10..');
    expect(state.node('local', copy)?.contentHash).not.toBe(hashOf('host-b write 9.'));

    // The watcher reports the write; the round that looks at the copy must now know its real content.
    await observer.observePaths([{ path: copy, realPath: copy.slice(1) }], new AbortController().signal);
    expect(state.node('local', copy)?.contentHash).toBe(hashOf('host-b write 10..'));
  });

  it('a rename nobody wrote into keeps its hash (no hashing again)', async () => {
    const paths = new WriteAfterRename(root);
    writeFileSync(join(root, 'a'), 'v1');
    const seen = { ...(await statLocal(nodeLocalFs, join(root, 'a'), '/a'))!, contentHash: hashOf('v1') };
    const moved = await new LocalOps(paths, new StateDirTrash(join(dir, 'trash'))).move('/a', '/b', seen);
    expect(moved).toMatchObject({ path: '/b', inode: seen.inode, contentHash: hashOf('v1') });
  });

  it('a download placed just before a write is recorded without the downloaded hash', () => {
    const downloaded = { path: '/a', kind: 'file' as const, size: 5, mtime: 1000, inode: '1:2', contentHash: null };
    expect(placedNode({ ...downloaded, ctime: 7 }, downloaded, 'h-remote').contentHash).toBe('h-remote');
    expect(placedNode({ ...downloaded, size: 9, mtime: 1001 }, downloaded, 'h-remote').contentHash).toBeNull();
    expect(placedNode({ ...downloaded, mtime: 1001 }, downloaded, 'h-remote').contentHash).toBeNull();
  });
});
