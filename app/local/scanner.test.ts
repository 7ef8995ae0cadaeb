import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IgnoreRules } from './ignore.js';
import { nodeLocalFs, type LocalFs } from './localFs.js';
import { findNameClashes, invalidNameReason, probeCaseInsensitive } from './names.js';
import { compareCodePoints } from '../base/codePointOrder.js';
import { LISTING_SLICE, Scanner, type FolderListing } from './scanner.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'scanner-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function scan(options: { caseInsensitive?: boolean; platform?: NodeJS.Platform } = {}) {
  const rules = new IgnoreRules(root);
  await rules.load();
  return new Scanner(root, { rules, ...options }).scan();
}

describe('Scanner', () => {
  it('finds files and folders with size, mtime, inode and ctime, without hashing', async () => {
    await mkdir(join(root, 'docs/deep'), { recursive: true });
    await writeFile(join(root, 'docs/deep/a.txt'), 'hello');
    await writeFile(join(root, 'top.bin'), '');
    const { nodes, issues } = await scan();
    expect([...nodes.keys()].sort()).toEqual(['/docs', '/docs/deep', '/docs/deep/a.txt', '/top.bin']);
    const file = nodes.get('/docs/deep/a.txt');
    const stats = await stat(join(root, 'docs/deep/a.txt'));
    expect(file).toEqual({
      path: '/docs/deep/a.txt', kind: 'file', size: 5, contentHash: null,
      mtime: Math.floor(stats.mtimeMs), inode: `${stats.dev}:${stats.ino}`, ctime: stats.ctimeMs,
    });
    expect(nodes.get('/docs')).toMatchObject({ kind: 'folder', size: 0 });
    expect(issues).toEqual([]);
  });

  it('skips built-in ignores and .netdiskignore rules, honouring negation', async () => {
    await mkdir(join(root, '.netdisk-sync/trash'), { recursive: true });
    await mkdir(join(root, 'build/out'), { recursive: true });
    await mkdir(join(root, 'src'), { recursive: true });
    for (const name of ['report.tmp', '~$report.docx', '.~lock.report.odt#', '.notes.txt.swp', '.DS_Store',
      'Thumbs.db', 'movie.mkv.netdisk-partial', 'setup.crdownload', 'keep.log', 'drop.log', 'src/app.ts', 'build/out/x.js']) {
      await writeFile(join(root, name), 'x');
    }
    await writeFile(join(root, '.netdisk-sync/state.db'), 'x');
    await writeFile(join(root, '.netdiskignore'), '# build output\nbuild/\n*.log\n!keep.log\n');
    const { nodes } = await scan();
    expect([...nodes.keys()].sort()).toEqual(['/.netdiskignore', '/keep.log', '/src', '/src/app.ts']);
  });

  it('reports a symlink once and does not follow it', async () => {
    await mkdir(join(root, 'real'));
    await writeFile(join(root, 'real/file.txt'), 'x');
    await symlink(join(root, 'real'), join(root, 'link'));
    await symlink(root, join(root, 'real/loop'));
    const { nodes, issues } = await scan();
    expect([...nodes.keys()].sort()).toEqual(['/real', '/real/file.txt']);
    expect(issues.map((i) => [i.path, i.code]).sort()).toEqual([['/link', 'symlink'], ['/real/loop', 'symlink']]);
  });

  it('maps an NFD name on disk to its NFC drive path and remembers the real name', async () => {
    const nfd = 'Cafe\u0301';
    await mkdir(join(root, nfd));
    await writeFile(join(root, nfd, 'menu.txt'), 'x');
    const { nodes, realPaths } = await scan();
    expect(nodes.has('/Caf\u00e9/menu.txt')).toBe(true);
    expect(nodes.has(`/${nfd}`)).toBe(false);
    expect(realPaths.get('/Caf\u00e9/menu.txt')).toBe(`${nfd}/menu.txt`);
  });

  it('keeps one of two names that differ only by Unicode form and reports the other', async () => {
    await writeFile(join(root, 'Caf\u00e9.txt'), 'nfc');
    await writeFile(join(root, 'Cafe\u0301.txt'), 'nfd');
    const { nodes, realPaths, issues } = await scan();
    expect(nodes.get('/Caf\u00e9.txt')?.size).toBe(3);
    // Spelled NFC on disk too: no mapping needed.
    expect(realPaths.has('/Caf\u00e9.txt')).toBe(false);
    expect(issues).toEqual([expect.objectContaining({ path: '/Caf\u00e9.txt', code: 'case_clash' })]);
  });

  it('reports names differing only by case when the file system is case-insensitive', async () => {
    await writeFile(join(root, 'Readme.md'), 'a');
    await writeFile(join(root, 'README.md'), 'b');
    expect((await scan({ caseInsensitive: false })).issues).toEqual([]);
    const { nodes, issues } = await scan({ caseInsensitive: true });
    expect(nodes.size).toBe(2);
    expect(issues).toEqual([expect.objectContaining({ path: '/Readme.md', code: 'case_clash' })]);
  });

  it('reports a name that cannot be synced', async () => {
    await writeFile(join(root, 'bell\u0007.txt'), 'x');
    const { nodes, issues } = await scan();
    expect(nodes.size).toBe(0);
    expect(issues).toEqual([expect.objectContaining({ code: 'invalid_name' })]);
  });

  it('applies the injected platform\'s name rules: Windows ones on a POSIX disk', async () => {
    for (const name of ['a:b.txt', 'CON', 'what?', 'back\\slash', 'dot.']) await writeFile(join(root, name), 'x');
    await writeFile(join(root, 'fine.txt'), 'x');
    expect((await scan({ platform: 'linux' })).issues).toEqual([]);
    const { nodes, issues } = await scan({ platform: 'win32' });
    expect([...nodes.keys()]).toEqual(['/fine.txt']);
    expect(issues.map((issue) => [issue.code, issue.path]).sort()).toEqual(
      ['/CON', '/a:b.txt', '/back\\slash', '/dot.', '/what?'].map((path) => ['invalid_name', path]));
  });

  it('stops with aborted when cancelled', async () => {
    for (let i = 0; i < 20; i++) await mkdir(join(root, `d${i}/e`), { recursive: true });
    const rules = new IgnoreRules(root);
    const controller = new AbortController();
    controller.abort();
    await expect(new Scanner(root, { rules, concurrency: 4 }).scan(controller.signal)).rejects.toMatchObject({ code: 'aborted' });
  });

  it('walks a wide and deep tree completely with few workers', async () => {
    for (let i = 0; i < 30; i++) {
      await mkdir(join(root, `d${i}/a/b`), { recursive: true });
      await writeFile(join(root, `d${i}/a/b/f.txt`), String(i));
    }
    const rules = new IgnoreRules(root);
    const { nodes } = await new Scanner(root, { rules, concurrency: 3 }).scan();
    expect(nodes.size).toBe(30 * 4);
  });

  it('hands a folder wider than one slice over in slices that cover it in order, with the loop free in between', async () => {
    const files = LISTING_SLICE * 2 + 3;
    await mkdir(join(root, 'wide'));
    for (let i = 0; i < files; i++) await writeFile(join(root, 'wide', `f${i}`), '');
    const rules = new IgnoreRules(root);
    const listings: FolderListing[] = [];
    // Counts turns of the event loop: one per check phase.
    let ticks = 0;
    let ticking = true;
    const tick = () => { ticks++; if (ticking) setImmediate(tick); };
    setImmediate(tick);
    const turns: number[] = [];
    await new Scanner(root, { rules }).scanFolders((listing) => {
      listings.push(listing);
      if (listing.path === '/wide') turns.push(ticks);
    });
    ticking = false;
    expect(listings.find((listing) => listing.path === '/')?.range).toBeUndefined();
    const wide = listings.filter((listing) => listing.path === '/wide');
    expect(wide.map((listing) => listing.nodes.length)).toEqual([LISTING_SLICE, LISTING_SLICE, 3]);
    // Each slice is sorted, and its range runs from the previous slice's last path through its own.
    const paths = wide.flatMap((listing) => listing.nodes.map((node) => node.path));
    expect(paths).toEqual([...paths].sort(compareCodePoints));
    expect(new Set(paths).size).toBe(files);
    const lastOf = (listing: FolderListing) => listing.nodes[listing.nodes.length - 1]!.path;
    expect(wide.map((listing) => listing.range)).toEqual([{ through: lastOf(wide[0]!) }, { after: lastOf(wide[0]!), through: lastOf(wide[1]!) }, { after: lastOf(wide[1]!) }]);
    // The loop turned between the slices: one folder's stats do not hold it.
    expect(new Set(turns).size).toBe(3);
  });

  it('keeps two spellings of one name in the same slice, so no range ends between them', async () => {
    await mkdir(join(root, 'wide'));
    // Sorted by drive name, the two spellings of "é" are entries LISTING_SLICE - 1 and LISTING_SLICE.
    for (let i = 0; i < LISTING_SLICE - 1; i++) await writeFile(join(root, 'wide', `a${String(i).padStart(5, '0')}`), '');
    await writeFile(join(root, 'wide', '\u00e9'), 'nfc');
    await writeFile(join(root, 'wide', 'e\u0301'), 'nfd');
    for (let i = 0; i < 10; i++) await writeFile(join(root, 'wide', `\u00fc${i}`), '');
    const listings: FolderListing[] = [];
    const { issues } = await new Scanner(root, { rules: new IgnoreRules(root) }).scanFolders((listing) => listings.push(listing));
    const wide = listings.filter((listing) => listing.path === '/wide');
    expect(wide).toHaveLength(2);
    expect(wide[0]!.range).toEqual({ through: '/wide/\u00e9' });
    expect(wide[0]!.nodes.map((node) => node.path)).toContain('/wide/\u00e9');
    expect(wide[1]!.nodes.map((node) => node.path)).toEqual(Array.from({ length: 10 }, (_, i) => `/wide/\u00fc${i}`));
    expect(issues.map((issue) => issue.code)).toEqual(['case_clash']);
  });

  it('fails with sync_root_missing when the root is gone', async () => {
    const rules = new IgnoreRules(root);
    await expect(new Scanner(join(root, 'missing'), { rules }).scan()).rejects.toMatchObject({ code: 'sync_root_missing' });
  });
});

describe('names', () => {
  it('groups names that clash by case only when the file system folds case', () => {
    expect(findNameClashes(['a.txt', 'A.txt', 'b'], false)).toEqual([]);
    expect(findNameClashes(['a.txt', 'A.txt', 'b', 'B', 'c'], true)).toEqual([['A.txt', 'a.txt'], ['B', 'b']]);
    expect(findNameClashes(['e\u0301', '\u00e9'], false)).toEqual([['\u00e9', 'e\u0301']]);
  });

  it('refuses names Windows cannot hold only on Windows', () => {
    expect(invalidNameReason('a:b', 'linux')).toBeNull();
    expect(invalidNameReason('a:b', 'win32')).toMatch(/reserves/);
    expect(invalidNameReason('CON.txt', 'win32')).toMatch(/device/);
    expect(invalidNameReason('trailing.', 'win32')).toMatch(/dot/);
    expect(invalidNameReason('tab\t', 'linux')).toMatch(/control/);
  });

  it('probes this file system and leaves no probe behind', async () => {
    expect(await probeCaseInsensitive(root)).toEqual({ caseInsensitive: expect.any(Boolean), leftBehind: false });
    expect((await scan()).nodes.size).toBe(0);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(root)).toEqual([]);
  });

  it('removes a probe left behind by a process that died mid-probe', async () => {
    const { readdir, writeFile } = await import('node:fs/promises');
    await writeFile(join(root, '.netdisk-case-probe-0123456789ab'), '');
    await probeCaseInsensitive(root);
    expect(await readdir(root)).toEqual([]);
  });

  it('removes a probe whose removal failed (an I/O error) on a later walk, without failing the walk', async () => {
    const { readdir } = await import('node:fs/promises');
    let failRemovals = true;
    // EIO cannot be had from a healthy disk on demand: this one call is made to fail.
    const failingRm: LocalFs = {
      ...nodeLocalFs,
      rm: (path, options) => (failRemovals ? Promise.reject(Object.assign(new Error(`EIO: rm '${path}'`), { code: 'EIO' })) : nodeLocalFs.rm(path, options)),
    };
    const rules = new IgnoreRules(root);
    await rules.load();
    const scanner = new Scanner(root, { rules, fs: failingRm });
    await writeFile(join(root, 'a.txt'), 'a');
    expect([...(await scanner.scan()).nodes.keys()]).toEqual(['/a.txt']);
    expect((await readdir(root)).filter((name) => name.startsWith('.netdisk-case-probe-'))).toHaveLength(1);
    await scanner.scan();
    expect(await readdir(root)).toHaveLength(2);
    failRemovals = false;
    await scanner.scan();
    expect(await readdir(root)).toEqual(['a.txt']);
  });
});
