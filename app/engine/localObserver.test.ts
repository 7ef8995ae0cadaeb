import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
});
