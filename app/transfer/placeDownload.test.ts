import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryHasher } from '../../test/sim/memoryHasher.js';
import { hashBytes } from '../../protocol/contentHash.js';
import { systemClock } from '../clock.js';
import { LocalPaths, statLocal } from '../local/localPaths.js';
import { nodeLocalFs } from '../local/localFs.js';
import type { LocalNode, RemoteNode } from '../model.js';
import { placeDownload } from './downloader.js';

/** Real hashing of the real files, on this thread. */
const hasher = new MemoryHasher(nodeLocalFs);

let dir: string;
let root: string;
let partialDir: string;
const ctx = () => ({ paths: new LocalPaths(root), hasher, clock: systemClock, host: 'host-a' });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'netdisk-place-'));
  root = join(dir, 'root');
  partialDir = join(root, '.netdisk-sync', 'partial');
  mkdirSync(partialDir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function remoteOf(content: string): RemoteNode {
  return { path: '/doc.txt', kind: 'file', size: content.length, contentHash: hashBytes(Buffer.from(content)).contentHash, mtime: 1_700_000_000_000, id: 'e1', rev: '7' };
}

async function observed(content: string): Promise<LocalNode> {
  writeFileSync(join(root, 'doc.txt'), content);
  return { ...(await statLocal(nodeLocalFs, join(root, 'doc.txt'), '/doc.txt'))!, contentHash: hashBytes(Buffer.from(content)).contentHash };
}

describe('placeDownload', () => {
  it('replaces the version the plan saw, with the downloaded bytes and the remote mtime, leaving nothing aside', async () => {
    const expectLocal = await observed('synced version');
    const partial = join(partialDir, '1.netdisk-partial');
    writeFileSync(partial, 'remote edit');
    const placed = await placeDownload(ctx(), { path: '/doc.txt', remote: remoteOf('remote edit'), expectLocal }, partial);
    expect(readFileSync(join(root, 'doc.txt'), 'utf8')).toBe('remote edit');
    expect(placed).toMatchObject({ path: '/doc.txt', size: 11, mtime: 1_700_000_000_000, contentHash: remoteOf('remote edit').contentHash });
    expect(readdirSync(partialDir)).toEqual([]);
  });

  it('keeps a save that landed after the check: the moved-aside file is not the expected version, so it goes back', async () => {
    // The stat matches what the plan saw, the bytes do not: a save in the gap between the check and the move.
    const expectLocal = { ...(await observed('the user saved this')), contentHash: hashBytes(Buffer.from('synced version')).contentHash };
    const partial = join(partialDir, '2.netdisk-partial');
    writeFileSync(partial, 'remote edit');
    await expect(placeDownload(ctx(), { path: '/doc.txt', remote: remoteOf('remote edit'), expectLocal }, partial)).rejects.toMatchObject({ code: 'file_changed' });
    expect(readFileSync(join(root, 'doc.txt'), 'utf8')).toBe('the user saved this');
    expect(readdirSync(partialDir)).toEqual(['2.netdisk-partial']);
  });

  it('never overwrites a file that appeared where none was expected', async () => {
    writeFileSync(join(root, 'doc.txt'), 'new local file');
    const partial = join(partialDir, '3.netdisk-partial');
    writeFileSync(partial, 'remote file');
    await expect(placeDownload(ctx(), { path: '/doc.txt', remote: remoteOf('remote file'), expectLocal: null }, partial)).rejects.toMatchObject({ code: 'file_changed' });
    expect(readFileSync(join(root, 'doc.txt'), 'utf8')).toBe('new local file');
    expect(existsSync(partial)).toBe(true);
  });
});

describe('placeDownload through a symbolic link', () => {
  it('refuses a target whose folder is a link leading out of the sync folder', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(root, 'docs'));
    const partial = join(partialDir, '1.partial');
    writeFileSync(partial, 'new');
    const op = { path: '/docs/doc.txt', remote: { ...remoteOf('new'), path: '/docs/doc.txt' }, expectLocal: null };
    await expect(placeDownload(ctx(), op, partial)).rejects.toMatchObject({ code: 'outside_sync_root' });
    expect(readdirSync(outside)).toEqual([]);
  });
});
