import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FreedesktopTrash, StateDirTrash, trashInfo, type LocalTrash } from './trash.js';

const fixedTime = () => new Date(2024, 2, 5, 7, 8, 9);
// A second device for the cross-device paths: tmpfs, when it is not where tmpdir() lives.
const otherDevice = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev ? '/dev/shm' : null;

let dirs: string[];
async function tempDir(base = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(base, 'trash-test-'));
  dirs.push(dir);
  return dir;
}

beforeEach(() => {
  dirs = [];
});

afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('StateDirTrash', () => {
  it('moves a file into <stateDir>/trash under a timestamped name and keeps its bytes', async () => {
    const root = await tempDir();
    const stateDir = join(root, '.netdisk-sync');
    const trash = new StateDirTrash(stateDir, fixedTime);
    await writeFile(join(root, 'a.txt'), 'first');
    await trash.moveToTrash(join(root, 'a.txt'));
    await writeFile(join(root, 'a.txt'), 'second');
    await trash.moveToTrash(join(root, 'a.txt'));
    expect(existsSync(join(root, 'a.txt'))).toBe(false);
    const names = (await readdir(join(stateDir, 'trash'))).sort();
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^\d{4}-\d\d-\d\dT[\d-]+Z-a(\.2)?\.txt$/);
    const contents = await Promise.all(names.map((n) => readFile(join(stateDir, 'trash', n), 'utf8')));
    expect(contents.sort()).toEqual(['first', 'second']);
  });

  it('moves a folder with its contents', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'photos/2024'), { recursive: true });
    await writeFile(join(root, 'photos/2024/img.jpg'), 'jpeg');
    const trash = new StateDirTrash(join(root, 'state'));
    await trash.moveToTrash(join(root, 'photos'));
    const [name] = await readdir(join(root, 'state/trash'));
    expect(await readFile(join(root, 'state/trash', name!, '2024/img.jpg'), 'utf8')).toBe('jpeg');
    expect(existsSync(join(root, 'photos'))).toBe(false);
  });

  it.skipIf(otherDevice === null)('copies and deletes when the state dir is on another device', async () => {
    const root = await tempDir();
    const stateDir = await tempDir(otherDevice!);
    await mkdir(join(root, 'dir'));
    await writeFile(join(root, 'dir/f.bin'), Buffer.from([1, 2, 3]));
    await new StateDirTrash(stateDir).moveToTrash(join(root, 'dir'));
    const [name] = await readdir(join(stateDir, 'trash'));
    expect(await readFile(join(stateDir, 'trash', name!, 'f.bin'))).toEqual(Buffer.from([1, 2, 3]));
    expect(existsSync(join(root, 'dir'))).toBe(false);
  });

  it('fails with not_found for a missing file', async () => {
    const root = await tempDir();
    await expect(new StateDirTrash(root).moveToTrash(join(root, 'nope'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('FreedesktopTrash', () => {
  it('moves the file to files/ and writes info/<name>.trashinfo with Path and DeletionDate', async () => {
    const home = await tempDir();
    const trashDir = join(home, 'Trash');
    const trash = new FreedesktopTrash(new StateDirTrash(join(home, 'state')), trashDir, fixedTime);
    await mkdir(join(home, 'sync dir'));
    await writeFile(join(home, 'sync dir/r\u00e9sum\u00e9.txt'), 'v1');
    await trash.moveToTrash(join(home, 'sync dir/r\u00e9sum\u00e9.txt'));
    await writeFile(join(home, 'sync dir/r\u00e9sum\u00e9.txt'), 'v2');
    await trash.moveToTrash(join(home, 'sync dir/r\u00e9sum\u00e9.txt'));

    expect((await readdir(join(trashDir, 'files'))).sort()).toEqual(['r\u00e9sum\u00e9.2.txt', 'r\u00e9sum\u00e9.txt']);
    expect(await readFile(join(trashDir, 'files/r\u00e9sum\u00e9.txt'), 'utf8')).toBe('v1');
    expect(await readFile(join(trashDir, 'files/r\u00e9sum\u00e9.2.txt'), 'utf8')).toBe('v2');
    const info = await readFile(join(trashDir, 'info/r\u00e9sum\u00e9.2.txt.trashinfo'), 'utf8');
    expect(info).toBe(`[Trash Info]\nPath=${join(home, 'sync%20dir/r%C3%A9sum%C3%A9.txt')}\nDeletionDate=2024-03-05T07:08:09\n`);
    expect(existsSync(join(home, 'sync dir/r\u00e9sum\u00e9.txt'))).toBe(false);
  });

  it.skipIf(otherDevice === null)('hands a file on another device to the fallback', async () => {
    const home = await tempDir();
    const elsewhere = await tempDir(otherDevice!);
    const fallen: string[] = [];
    const fallback: LocalTrash = { moveToTrash: async (p) => void fallen.push(p) };
    await writeFile(join(elsewhere, 'f.txt'), 'x');
    await new FreedesktopTrash(fallback, join(home, 'Trash')).moveToTrash(join(elsewhere, 'f.txt'));
    expect(fallen).toEqual([join(elsewhere, 'f.txt')]);
    expect(await readdir(join(home, 'Trash/files'))).toEqual([]);
  });

  it('escapes the path as a URL', () => {
    expect(trashInfo('/a b/c#d%', new Date(2000, 0, 1))).toContain('Path=/a%20b/c%23d%25\n');
  });
});
