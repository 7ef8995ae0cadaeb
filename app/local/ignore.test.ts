import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IgnoreRules } from './ignore.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ignore-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('IgnoreRules', () => {
  it('ignores temp, lock and OS files, our state dir and partial downloads, in any folder and any case', async () => {
    const rules = new IgnoreRules(root);
    for (const path of ['/a.tmp', '/d/~$doc.docx', '/.~lock.x.ods#', '/d/.x.swp', '/x.swx', '/4913', '/f.part',
      '/f.crdownload', '/d/.DS_Store', '/THUMBS.DB', '/desktop.ini', '/big.iso.netdisk-partial']) {
      expect(rules.isIgnored(path, false), path).toBe(true);
    }
    expect(rules.isIgnored('/.netdisk-sync', true)).toBe(true);
    expect(rules.isIgnored('/.netdisk-sync/trash/x', false)).toBe(true);
    expect(rules.isIgnored('/d/.netdisk-sync', true)).toBe(false);
    for (const path of ['/notes.txt', '/swap.c', '/part.txt', '/.netdiskignore']) expect(rules.isIgnored(path, false), path).toBe(false);
    expect(rules.isIgnored('/', true)).toBe(false);
  });

  it('keeps the user\'s and the built-in rules when it forgets its cached answers over a large walk', async () => {
    await writeFile(join(root, '.netdiskignore'), 'build/\n*.log\n!keep.log\n');
    const rules = new IgnoreRules(root);
    await rules.load();
    // More lookups than the matchers' answers are kept for (CACHE_LOOKUPS): they are made again at least twice.
    for (let i = 0; i < 50_000; i++) {
      expect(rules.isIgnored(`/d${i % 97}/f${i}.txt`, false)).toBe(false);
      if (i % 10_000 === 0) {
        expect(rules.isIgnored(`/d${i}/build/x.js`, false)).toBe(true);
        expect(rules.isIgnored(`/d${i}/keep.log`, false)).toBe(false);
        expect(rules.isIgnored(`/d${i}/Thumbs.DB`, false)).toBe(true);
      }
    }
    expect(rules.isIgnored('/x/debug.log', false)).toBe(true);
    expect(rules.isIgnored('/x/build', true)).toBe(true);
  });

  it('applies .netdiskignore with folder rules and negation, but cannot re-include a built-in', async () => {
    await writeFile(join(root, '.netdiskignore'), 'build/\n*.log\n!keep.log\n!*.tmp\n');
    const rules = new IgnoreRules(root);
    expect(await rules.load()).toBe(true);
    expect(rules.isIgnored('/build', true)).toBe(true);
    expect(rules.isIgnored('/build', false)).toBe(false);
    expect(rules.isIgnored('/src/build/out.js', false)).toBe(true);
    expect(rules.isIgnored('/x/debug.log', false)).toBe(true);
    expect(rules.isIgnored('/keep.log', false)).toBe(false);
    expect(rules.isIgnored('/a.tmp', false)).toBe(true);
  });

  it('reloads only when the file changed, and forgets rules when it is removed', async () => {
    const rules = new IgnoreRules(root);
    expect(await rules.load()).toBe(false);
    await writeFile(join(root, '.netdiskignore'), '*.bak\n');
    expect(await rules.load()).toBe(true);
    expect(await rules.load()).toBe(false);
    expect(rules.isIgnored('/a.bak', false)).toBe(true);
    await rm(join(root, '.netdiskignore'));
    expect(await rules.load()).toBe(true);
    expect(rules.isIgnored('/a.bak', false)).toBe(false);
  });
});
