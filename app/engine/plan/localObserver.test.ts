import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashBytes, type ContentDigest } from '../../../protocol/contentHash.js';
import { SqliteStateStore } from '../../db/sqliteStateStore.js';
import type { Hasher, SmallFileRead } from '../../hash/hasher.js';
import { IgnoreRules } from '../../local/ignore.js';
import { LISTING_SLICE, Scanner } from '../../local/scanner.js';
import { LocalObserver } from './localObserver.js';
import { LocalPaths } from '../../local/localPaths.js';

/** Real hashing on this thread, counting the files it was asked for. */
class CountingHasher implements Hasher {
  readonly hashed: string[] = [];
  async hashFile(absPath: string): Promise<ContentDigest> {
    this.hashed.push(absPath);
    return hashBytes(readFileSync(absPath));
  }
  async readSmallFile(): Promise<SmallFileRead> {
    throw new Error('observing never reads a file for an upload');
  }
  async close(): Promise<void> {}
}

let dir: string;
let root: string;
let state: SqliteStateStore;
let hasher: CountingHasher;
let observer: LocalObserver;
let scanner: Scanner;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netdisk-observer-'));
  root = join(dir, 'root');
  mkdirSync(root);
  state = SqliteStateStore.open(join(dir, 'state.sqlite'));
  hasher = new CountingHasher();
  const rules = new IgnoreRules(root);
  await rules.load();
  scanner = new Scanner(root, { rules });
  observer = new LocalObserver(scanner, hasher, state, new LocalPaths(root), 4);
});

afterEach(() => {
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalObserver', () => {
  it('hashes a file again only when its size, mtime or inode moved', async () => {
    for (const name of ['a', 'b', 'c']) writeFileSync(join(root, name), `content of ${name}`);
    await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toHaveLength(3);
    const first = state.loadLocal();
    expect(first.get('/a')?.contentHash).toBe(hashBytes(Buffer.from('content of a')).contentHash);

    hasher.hashed.length = 0;
    await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toEqual([]);
    expect(state.loadLocal()).toEqual(first);

    writeFileSync(join(root, 'b'), 'a longer new content of b');
    await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toEqual([join(root, 'b')]);
    expect(state.node('local', '/b')?.contentHash).toBe(hashBytes(Buffer.from('a longer new content of b')).contentHash);
  });

  it('records the disk folder by folder: new, edited, moved and deleted entries, a folder turned into a file', async () => {
    const signal = new AbortController().signal;
    mkdirSync(join(root, 'a/deep/er'), { recursive: true });
    writeFileSync(join(root, 'a/deep/er/x'), 'x');
    writeFileSync(join(root, 'a/keep'), 'keep');
    mkdirSync(join(root, 'gone/inner'), { recursive: true });
    writeFileSync(join(root, 'gone/inner/y'), 'y');
    mkdirSync(join(root, 'becomes-file'));
    writeFileSync(join(root, 'becomes-file/z'), 'z');
    writeFileSync(join(root, 'a b'), 'sorts between /a and /a/...');
    await observer.observe(signal);
    const recorded = () => [...state.loadLocal().values()].map((n) => `${n.path} ${n.kind}`).sort();
    const onDisk = async () => [...(await scanner.scan()).nodes.values()].map((n) => `${n.path} ${n.kind}`).sort();
    expect(recorded()).toEqual(await onDisk());

    rmSync(join(root, 'gone'), { recursive: true });
    rmSync(join(root, 'becomes-file'), { recursive: true });
    writeFileSync(join(root, 'becomes-file'), 'now a file');
    writeFileSync(join(root, 'a/deep/er/x'), 'edited x');
    mkdirSync(join(root, 'a/deep/er/new/newer'), { recursive: true });
    writeFileSync(join(root, 'a/deep/er/new/newer/w'), 'w');
    hasher.hashed.length = 0;
    await observer.observe(signal);
    expect(recorded()).toEqual(await onDisk());
    expect(hasher.hashed.sort()).toEqual([join(root, 'a/deep/er/new/newer/w'), join(root, 'a/deep/er/x'), join(root, 'becomes-file')]);
    expect(state.node('local', '/becomes-file')?.contentHash).toBe(hashBytes(Buffer.from('now a file')).contentHash);
  });

  it('sees an edit that keeps the size and the mtime (utimes, coarse clocks), by its ctime', async () => {
    const file = join(root, 'same');
    const stamp = new Date('2024-01-02T03:04:05Z');
    writeFileSync(file, 'version 1');
    utimesSync(file, stamp, stamp);
    await observer.observe(new AbortController().signal);
    const first = state.node('local', '/same');
    writeFileSync(file, 'version 2');
    utimesSync(file, stamp, stamp);
    hasher.hashed.length = 0;
    await observer.observe(new AbortController().signal);
    expect(state.node('local', '/same')?.mtime).toBe(first?.mtime);
    expect(hasher.hashed).toEqual([file]);
    expect(state.node('local', '/same')?.contentHash).toBe(hashBytes(Buffer.from('version 2')).contentHash);
  });

  it('hashes once more after an upgrade from rows that have no ctime, then trusts the cache again', async () => {
    writeFileSync(join(root, 'old'), 'kept');
    await observer.observe(new AbortController().signal);
    const { ctime: _dropped, ...withoutCtime } = state.node('local', '/old')!;
    state.write([{ tree: 'local', op: 'upsert', node: withoutCtime }]);
    hasher.hashed.length = 0;
    await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toEqual([join(root, 'old')]);
    hasher.hashed.length = 0;
    await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toEqual([]);
  });

  it('compares folders wider than one listing slice slice by slice: new, edited, deleted and retyped entries anywhere in them', async () => {
    const signal = new AbortController().signal;
    const width = LISTING_SLICE * 2 + 10;
    for (const folder of ['w1', 'w2']) {
      mkdirSync(join(root, folder));
      for (let i = 0; i < width; i++) writeFileSync(join(root, folder, `f${i}`), `${folder} ${i}`);
      mkdirSync(join(root, folder, 'sub'));
      writeFileSync(join(root, folder, 'sub', 'inner'), 'inner');
    }
    await observer.observe(signal);
    expect(state.count('local')).toBe(2 * (width + 3));

    hasher.hashed.length = 0;
    // Readdir order is the file system's: changes at many indexes land in different slices.
    const changed = [0, 1, LISTING_SLICE - 1, LISTING_SLICE, LISTING_SLICE + 1, width - 1];
    for (const i of changed) writeFileSync(join(root, 'w1', `f${i}`), `edited ${i}`);
    for (const i of [2, LISTING_SLICE + 2, width - 2]) rmSync(join(root, 'w1', `f${i}`));
    for (let i = 0; i < 5; i++) writeFileSync(join(root, 'w2', `new${i}`), `new ${i}`);
    rmSync(join(root, 'w2', 'sub'), { recursive: true });
    writeFileSync(join(root, 'w2', 'sub'), 'now a file');
    rmSync(join(root, 'w2', 'f3'));
    mkdirSync(join(root, 'w2', 'f3'));
    writeFileSync(join(root, 'w2', 'f3', 'below'), 'below');
    await observer.observe(signal);

    for (const i of changed) expect(state.node('local', `/w1/f${i}`)?.contentHash).toBe(hashBytes(Buffer.from(`edited ${i}`)).contentHash);
    for (const i of [2, LISTING_SLICE + 2, width - 2]) expect(state.node('local', `/w1/f${i}`)).toBeUndefined();
    expect(state.node('local', '/w1/f3')?.contentHash).toBe(hashBytes(Buffer.from('w1 3')).contentHash);
    for (let i = 0; i < 5; i++) expect(state.node('local', `/w2/new${i}`)?.kind).toBe('file');
    expect(state.node('local', '/w2/sub')?.kind).toBe('file');
    expect(state.node('local', '/w2/sub/inner')).toBeUndefined();
    expect(state.node('local', '/w2/f3')?.kind).toBe('folder');
    expect(state.node('local', '/w2/f3/below')?.kind).toBe('file');
    // Only what changed was hashed again.
    expect(hasher.hashed).toHaveLength(changed.length + 5 + 2);
    expect(state.count('local')).toBe(2 * (width + 3) - 3 + 5 - 1 + 1);
  }, 60_000);

  it('looks again at just the paths a watcher named: an edit in a 100,000-file folder costs O(changed) stats, not O(folder)', async () => {
    const signal = new AbortController().signal;
    mkdirSync(join(root, 'big'));
    for (let i = 0; i < 100_000; i++) writeFileSync(join(root, 'big', `f${i}`), '');
    await observer.observe(signal);
    // The full walk stats every entry: the counter really counts.
    expect(scanner.statCalls).toBeGreaterThanOrEqual(100_001);
    expect(state.count('local')).toBe(100_001);

    scanner.statCalls = 0;
    hasher.hashed.length = 0;
    writeFileSync(join(root, 'big', 'f500'), 'edited');
    writeFileSync(join(root, 'big', 'new'), 'added');
    rmSync(join(root, 'big', 'f7'));
    const targets = ['f500', 'new', 'f7'].map((name) => ({ path: `/big/${name}`, realPath: `big/${name}` }));
    await observer.observePaths(targets, signal);
    // One lstat per path, and one more for the deleted file's folder (still there).
    expect(scanner.statCalls).toBe(4);
    expect(hasher.hashed.sort()).toEqual([join(root, 'big', 'f500'), join(root, 'big', 'new')]);
    expect(state.node('local', '/big/f500')?.contentHash).toBe(hashBytes(Buffer.from('edited')).contentHash);
    expect(state.node('local', '/big/new')?.contentHash).toBe(hashBytes(Buffer.from('added')).contentHash);
    expect(state.node('local', '/big/f7')).toBeUndefined();
    expect(state.count('local')).toBe(100_001);
  }, 120_000);

  it('looks at a folder a watcher named as the full walk does: slice by slice, with what its subtree gained and lost', async () => {
    const signal = new AbortController().signal;
    const width = LISTING_SLICE + 100;
    mkdirSync(join(root, 'big', 'sub'), { recursive: true });
    writeFileSync(join(root, 'big', 'sub', 'inner'), 'inner');
    for (let i = 0; i < width; i++) writeFileSync(join(root, 'big', `f${i}`), `${i}`);
    writeFileSync(join(root, 'other'), 'untouched');
    await observer.observe(signal);
    expect(state.count('local')).toBe(width + 4);

    hasher.hashed.length = 0;
    writeFileSync(join(root, 'big', 'f1'), 'edited');
    rmSync(join(root, 'big', `f${width - 1}`));
    writeFileSync(join(root, 'big', 'new'), 'new');
    rmSync(join(root, 'big', 'sub'), { recursive: true });
    mkdirSync(join(root, 'big', 'sub2'));
    writeFileSync(join(root, 'big', 'sub2', 'x'), 'x');
    rmSync(join(root, 'other'));
    const seen = await observer.observePaths([{ path: '/big', realPath: 'big' }], signal);

    expect(seen.roots).toEqual(['/big']);
    expect(state.node('local', '/big/f1')?.contentHash).toBe(hashBytes(Buffer.from('edited')).contentHash);
    expect(state.node('local', `/big/f${width - 1}`)).toBeUndefined();
    expect(state.node('local', '/big/new')?.kind).toBe('file');
    expect(state.node('local', '/big/sub')).toBeUndefined();
    expect(state.node('local', '/big/sub/inner')).toBeUndefined();
    expect(state.node('local', '/big/sub2/x')?.kind).toBe('file');
    // Outside the path named, nothing was looked at: the deleted /other is still recorded.
    expect(state.node('local', '/other')?.kind).toBe('file');
    expect(hasher.hashed.sort()).toEqual(['f1', 'new', 'sub2/x'].map((name) => join(root, 'big', name)).sort());
    expect(state.count('local')).toBe(width + 4 - 1 + 1 - 2 + 2);
  }, 60_000);

  it('looks at a new folder whole, from its nearest known ancestor, and forgets a removed folder with its subtree', async () => {
    const signal = new AbortController().signal;
    mkdirSync(join(root, 'old', 'deep'), { recursive: true });
    writeFileSync(join(root, 'old', 'deep', 'x'), 'x');
    await observer.observe(signal);

    mkdirSync(join(root, 'new', 'inner'), { recursive: true });
    writeFileSync(join(root, 'new', 'inner', 'y'), 'y');
    writeFileSync(join(root, 'new', 'z'), 'z');
    rmSync(join(root, 'old'), { recursive: true });
    // Only the deepest new file was named (its folders' events were missed): the walk starts at /new.
    const seen = await observer.observePaths([{ path: '/new/inner/y', realPath: 'new/inner/y' }, { path: '/old', realPath: 'old' }], signal);
    expect(seen.roots).toEqual(['/new', '/old']);
    expect([...state.loadLocal().keys()].sort()).toEqual(['/new', '/new/inner', '/new/inner/y', '/new/z']);
  });
});
