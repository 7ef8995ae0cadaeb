import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FreedesktopTrash, StateDirTrash, type LocalTrash } from '../../local/trash.js';
import { LocalOps } from './localOps.js';
import { LocalPaths, statLocal } from '../../local/localPaths.js';
import { nodeLocalFs } from '../../local/localFs.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-ops-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A trash during whose preparation the user rewrites the file (in the watched sync, a write landing mid-delete). */
function rewrittenWhilePreparing(inner: LocalTrash): LocalTrash {
  return {
    moveToTrash: async (absPath, check) => {
      await writeFile(absPath, 'the user rewrote this');
      await inner.moveToTrash(absPath, check);
    },
  };
}

for (const [name, makeTrash] of [
  ['state dir trash', () => new StateDirTrash(join(dir, 'state'))],
  ['freedesktop trash', () => new FreedesktopTrash(new StateDirTrash(join(dir, 'state')), join(dir, 'Trash'))],
] as const) {
  it(`a delete leaves a file rewritten after its last look in place (${name})`, async () => {
    const root = join(dir, 'root');
    const paths = new LocalPaths(root);
    await mkdir(root);
    await writeFile(join(root, 'b.txt'), 'synced');
    const seen = (await statLocal(nodeLocalFs, join(root, 'b.txt'), '/b.txt'))!;

    const ops = new LocalOps(paths, rewrittenWhilePreparing(makeTrash()));
    await expect(ops.delete('/b.txt', seen)).rejects.toMatchObject({ code: 'file_changed' });
    expect(await readFile(join(root, 'b.txt'), 'utf8')).toBe('the user rewrote this');
    // Nothing half-trashed: no .trashinfo without its file.
    const infos = await readdir(join(dir, 'Trash', 'info')).catch(() => []);
    expect(infos).toEqual([]);
  });
}

it('never creates, moves or deletes through a symbolic link inside the folder that leads out of it', async () => {
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'victim.txt'), 'not synced');
  await symlink(outside, join(root, 'link'));
  await writeFile(join(root, 'mine.txt'), 'synced');
  const paths = new LocalPaths(root);
  const ops = new LocalOps(paths, new StateDirTrash(join(dir, 'state')));
  const victim = { ...(await statLocal(nodeLocalFs, join(outside, 'victim.txt'), '/link/victim.txt'))!, contentHash: null };
  const mine = (await statLocal(nodeLocalFs, join(root, 'mine.txt'), '/mine.txt'))!;

  await expect(ops.mkdir('/link/made', 1)).rejects.toMatchObject({ code: 'outside_sync_root' });
  await expect(ops.delete('/link/victim.txt', victim)).rejects.toMatchObject({ code: 'outside_sync_root' });
  await expect(ops.move('/mine.txt', '/link/mine.txt', mine)).rejects.toMatchObject({ code: 'outside_sync_root' });
  await expect(ops.move('/link/victim.txt', '/stolen.txt', victim)).rejects.toMatchObject({ code: 'outside_sync_root' });
  expect((await readdir(outside)).sort()).toEqual(['victim.txt']);
  expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('not synced');
  expect((await readdir(root)).sort()).toEqual(['link', 'mine.txt']);
});
