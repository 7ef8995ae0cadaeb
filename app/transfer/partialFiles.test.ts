import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeLocalFs } from '../local/localFs.js';
import { ensurePartialDir, partialDirOf, partialFileOf, removeOrphanPartials } from './partialFiles.js';

let root: string;
beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'netdisk-partials-')); });
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('partial download files', () => {
  it('live in the hidden folder at the sync root, created inside it', async () => {
    const dir = partialDirOf(root);
    expect(dir).toBe(join(root, '.netdisk-sync', 'partial'));
    await ensurePartialDir(nodeLocalFs, dir);
    await ensurePartialDir(nodeLocalFs, dir);
    expect(existsSync(dir)).toBe(true);
  });

  it('never recreate a sync root that vanished', async () => {
    rmSync(root, { recursive: true });
    await expect(ensurePartialDir(nodeLocalFs, partialDirOf(root))).rejects.toMatchObject({ code: 'not_found' });
    expect(existsSync(root)).toBe(false);
  });

  it('removes partial files no queued job owns and leaves the rest', async () => {
    const dir = partialDirOf(root);
    await ensurePartialDir(nodeLocalFs, dir);
    for (const id of [1, 2, 3]) writeFileSync(partialFileOf(dir, id), 'bytes');
    writeFileSync(join(dir, '2.netdisk-partial.replaced'), 'a set-aside version');
    await removeOrphanPartials(nodeLocalFs, dir, new Set([2]));
    expect(readdirSync(dir).sort()).toEqual(['2.netdisk-partial', '2.netdisk-partial.replaced']);
    await removeOrphanPartials(nodeLocalFs, join(root, 'missing'), new Set());
  });
});
