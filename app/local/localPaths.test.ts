import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, win32 } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalPaths } from './localPaths.js';

const root = '/sync';
const nfd = 'Re\u0301sume\u0301';
const nfc = nfd.normalize('NFC');

describe('LocalPaths', () => {
  it('places a path the scan did not see inside its ancestor as that ancestor is spelled on disk', () => {
    const paths = new LocalPaths(root);
    paths.setRealPaths(new Map([[`/${nfc}`, nfd], [`/${nfc}/a`, `${nfd}/a`]]));
    expect(paths.abs(`/${nfc}`)).toBe(join(root, nfd));
    expect(paths.abs(`/${nfc}/new/file.txt`)).toBe(join(root, nfd, 'new/file.txt'));
    expect(paths.abs(`/${nfc}/a/b`)).toBe(join(root, nfd, 'a/b'));
    expect(paths.abs('/other/x')).toBe(join(root, 'other/x'));
  });

  it('forgets a moved or removed folder with everything below it, a file alone', () => {
    const paths = new LocalPaths(root);
    paths.setRealPaths(new Map([[`/${nfc}`, nfd], [`/${nfc}/${nfc}`, `${nfd}/${nfd}`], [`/${nfc}2`, `${nfd}2`]]));
    paths.forget(`/${nfc}2`, 'file');
    expect(paths.abs(`/${nfc}2`)).toBe(join(root, `${nfc}2`));
    expect(paths.abs(`/${nfc}/${nfc}`)).toBe(join(root, nfd, nfd));
    paths.forget(`/${nfc}`, 'folder');
    expect(paths.abs(`/${nfc}/${nfc}`)).toBe(join(root, nfc, nfc));
  });
});

describe('LocalPaths, the one way from a drive path to the disk', () => {
  const hostile = ['/..', '/../x', '/a/../../x', '//x', 'x', '/a/', '/nul\u0000', '/./x', '/'.concat('n'.repeat(256))];

  describe.each([
    { rules: 'POSIX', root: '/home/me/Sync', platform: 'linux' as const, pathApi: posix },
    { rules: 'Win32', root: 'C:\\Users\\me\\Sync', platform: 'win32' as const, pathApi: win32 },
  ])('under $rules rules', ({ root: r, platform, pathApi }) => {
    const paths = new LocalPaths(r, { platform, pathApi });

    it('maps a valid drive path to exactly the root plus its names', () => {
      expect(paths.abs('/docs/a b.txt')).toBe(pathApi.join(r, 'docs', 'a b.txt'));
      expect(paths.abs('/')).toBe(pathApi.normalize(r));
      expect(paths.abs('/..x/x..y')).toBe(pathApi.join(r, '..x', 'x..y'));
    });

    it.each(hostile)('refuses %j, which is not a drive path', (drivePath) => {
      expect(() => paths.abs(drivePath)).toThrow(expect.objectContaining({ code: 'invalid_name' }));
      expect(paths.unsyncableReason(drivePath)).not.toBeNull();
    });

    it('refuses a spelling on disk (from a scan) that would leave the root', () => {
      const spelled = new LocalPaths(r, { platform, pathApi });
      spelled.setRealPaths(new Map([['/docs', '../elsewhere']]));
      expect(() => spelled.abs('/docs/file.txt')).toThrow(expect.objectContaining({ code: 'outside_sync_root' }));
    });
  });

  it('refuses, under Windows rules, names Windows cannot hold or would read as a path', () => {
    const paths = new LocalPaths('C:\\Sync', { platform: 'win32', pathApi: win32 });
    for (const name of ['a\\..\\..\\x', 'a\\b', 'C:x', 'what?', 'a*', 'a<b', 'a>b', 'a|b', 'a"b', 'CON', 'con.txt', 'NUL', 'AUX', 'PRN', 'COM1', 'LPT9', 'dot.', 'space ', '.. ']) {
      expect(paths.unsyncableReason(`/docs/${name}`), name).not.toBeNull();
      expect(() => paths.abs(`/docs/${name}`), name).toThrow(expect.objectContaining({ code: 'invalid_name' }));
    }
    // The same names are ordinary on POSIX: a backslash there is just a character.
    const posixPaths = new LocalPaths('/sync', { platform: 'linux', pathApi: posix });
    expect(posixPaths.abs('/docs/a\\..\\..\\x')).toBe('/sync/docs/a\\..\\..\\x');
    expect(posixPaths.abs('/CON')).toBe('/sync/CON');
  });

  it('proves containment under Win32 semantics even when the name rules would let a backslash through', () => {
    // The name rules are POSIX here; the path module is Win32: the proof alone must stop the escape.
    const paths = new LocalPaths('C:\\Sync', { platform: 'linux', pathApi: win32 });
    expect(() => paths.abs('/a\\..\\..\\x')).toThrow(expect.objectContaining({ code: 'outside_sync_root' }));
    expect(() => paths.abs('/a\\b')).toThrow(expect.objectContaining({ code: 'outside_sync_root' }));
    // And with Windows rules on a POSIX disk, the result is proven under both.
    const both = new LocalPaths('/sync', { platform: 'win32', pathApi: posix });
    expect(both.abs('/docs/x.txt')).toBe('/sync/docs/x.txt');
  });

  it('refuses names that are not valid Unicode and paths too long for the platform', () => {
    const paths = new LocalPaths('/sync', { platform: 'linux', pathApi: posix });
    expect(paths.unsyncableReason('/lone\ud800.txt')).toMatch(/lone UTF-16 surrogate/);
    const deep = Array.from({ length: 16 }, () => 'd'.repeat(250)).join('/');
    expect(paths.unsyncableReason(`/${deep}`)).toBeNull();
    expect(paths.unsyncableReason(`/${deep}/${'f'.repeat(79)}`)).toMatch(/over its limit of 4095/);
  });
});

describe('LocalPaths.forChange with real symbolic links', () => {
  let dir: string;
  let root: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-paths-'));
    root = join(dir, 'root');
    await mkdir(join(root, 'real', 'inner'), { recursive: true });
    await mkdir(join(dir, 'outside'));
    await symlink(join(dir, 'outside'), join(root, 'link'));
    await symlink(join(dir, 'outside'), join(root, 'real', 'inner', 'deeper-link'));
    await writeFile(join(root, 'file.txt'), 'a file');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('never goes through a symbolic link between the root and the target', async () => {
    const paths = new LocalPaths(root);
    for (const drivePath of ['/link/x.txt', '/link/a/b', '/real/inner/deeper-link/x']) {
      await expect(paths.forChange(drivePath), drivePath).rejects.toMatchObject({ code: 'outside_sync_root' });
    }
    // The link itself may be the target: renaming or trashing a link does not follow it.
    expect(await paths.forChange('/link')).toBe(join(root, 'link'));
    expect(await paths.forChange('/real/inner/new/x.txt')).toBe(join(root, 'real', 'inner', 'new', 'x.txt'));
  });
});
