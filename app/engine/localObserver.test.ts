import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashBytes, type ContentDigest } from '../../protocol/contentHash.js';
import { SqliteStateStore } from '../db/sqliteStateStore.js';
import type { Hasher } from '../hash/hasher.js';
import { IgnoreRules } from '../local/ignore.js';
import { Scanner } from '../local/scanner.js';
import { LocalObserver } from './localObserver.js';
import { LocalPaths } from './localPaths.js';

/** Real hashing on this thread, counting the files it was asked for. */
class CountingHasher implements Hasher {
  readonly hashed: string[] = [];
  async hashFile(absPath: string): Promise<ContentDigest> {
    this.hashed.push(absPath);
    return hashBytes(readFileSync(absPath));
  }
  async close(): Promise<void> {}
}

let dir: string;
let root: string;
let state: SqliteStateStore;
let hasher: CountingHasher;
let observer: LocalObserver;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netdisk-observer-'));
  root = join(dir, 'root');
  mkdirSync(root);
  state = SqliteStateStore.open(join(dir, 'state.sqlite'));
  hasher = new CountingHasher();
  const rules = new IgnoreRules(root);
  await rules.load();
  observer = new LocalObserver(new Scanner(root, { rules }), hasher, state, new LocalPaths(root), 4);
});

afterEach(() => {
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalObserver', () => {
  it('hashes a file again only when its size, mtime or inode moved', async () => {
    for (const name of ['a', 'b', 'c']) writeFileSync(join(root, name), `content of ${name}`);
    const first = await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toHaveLength(3);
    expect(first.nodes.get('/a')?.contentHash).toBe(hashBytes(Buffer.from('content of a')).contentHash);

    hasher.hashed.length = 0;
    const second = await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toEqual([]);
    expect([...second.nodes.values()].map((n) => n.contentHash)).toEqual([...first.nodes.values()].map((n) => n.contentHash));

    writeFileSync(join(root, 'b'), 'a longer new content of b');
    const third = await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toEqual([join(root, 'b')]);
    expect(third.nodes.get('/b')?.contentHash).toBe(hashBytes(Buffer.from('a longer new content of b')).contentHash);
    expect(state.loadLocal().get('/b')?.contentHash).toBe(third.nodes.get('/b')?.contentHash);
  });

  it('sees an edit that keeps the size and the mtime (utimes, coarse clocks), by its ctime', async () => {
    const file = join(root, 'same');
    const stamp = new Date('2024-01-02T03:04:05Z');
    writeFileSync(file, 'version 1');
    utimesSync(file, stamp, stamp);
    const first = await observer.observe(new AbortController().signal);
    writeFileSync(file, 'version 2');
    utimesSync(file, stamp, stamp);
    hasher.hashed.length = 0;
    const second = await observer.observe(new AbortController().signal);
    expect(second.nodes.get('/same')?.mtime).toBe(first.nodes.get('/same')?.mtime);
    expect(hasher.hashed).toEqual([file]);
    expect(second.nodes.get('/same')?.contentHash).toBe(hashBytes(Buffer.from('version 2')).contentHash);
  });

  it('hashes once more after an upgrade from rows that have no ctime, then trusts the cache again', async () => {
    writeFileSync(join(root, 'old'), 'kept');
    const first = await observer.observe(new AbortController().signal);
    const { ctime: _dropped, ...withoutCtime } = first.nodes.get('/old')!;
    state.write([{ tree: 'local', op: 'upsert', node: withoutCtime }]);
    hasher.hashed.length = 0;
    await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toEqual([join(root, 'old')]);
    hasher.hashed.length = 0;
    await observer.observe(new AbortController().signal);
    expect(hasher.hashed).toEqual([]);
  });
});
