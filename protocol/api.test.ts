import { describe, expect, it } from 'vitest';
import { changeSchema, checkedChangesResponse, checkedListResponse, entrySchema, receivedEntryPath } from './api.js';

const HASH = 'a'.repeat(64);
const file = (path: string, extra: Record<string, unknown> = {}) => ({
  id: 'e1', path, name: path.slice(path.lastIndexOf('/') + 1), kind: 'file', size: 3, contentHash: HASH, rev: '1', mtime: 1, ...extra,
});
const folder = (path: string) => file(path, { kind: 'folder', size: 0, contentHash: null });

describe('what the client accepts from the service', () => {
  it('takes only valid, NFC drive paths that name an entry', () => {
    for (const path of ['/a', '/a b/c.txt', '/a\\b', '/CON']) expect(receivedEntryPath.safeParse(path).success, path).toBe(true);
    for (const path of ['/', '', 'a', '/..', '/a/../b', '//a', '/a/', '/./a', '/a\u0000', '/a\u0085', `/${'x'.repeat(256)}`, '/lone\ud800', '/Re\u0301sume\u0301']) {
      expect(receivedEntryPath.safeParse(path).success, JSON.stringify(path)).toBe(false);
    }
  });

  it('refuses entries that lie about themselves: name, sizes, hashes', () => {
    expect(entrySchema.safeParse(file('/a.txt')).success).toBe(true);
    expect(entrySchema.safeParse(folder('/docs')).success).toBe(true);
    for (const bad of [
      file('/a.txt', { name: '../a.txt' }),
      file('/a.txt', { size: 2 ** 60 }),
      file('/a.txt', { size: -1 }),
      file('/a.txt', { contentHash: null }),
      file('/a.txt', { contentHash: 'A'.repeat(64) }),
      file('/a.txt', { id: '' }),
      { ...folder('/docs'), size: 5 },
      { ...folder('/docs'), contentHash: HASH },
    ]) {
      expect(entrySchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('refuses changes whose entry is elsewhere and moves without an origin or into themselves', () => {
    const change = (extra: Record<string, unknown>) => ({ seq: 1, op: 'create', path: '/a', entry: folder('/a'), ...extra });
    expect(changeSchema.safeParse(change({})).success).toBe(true);
    expect(changeSchema.safeParse(change({ op: 'move', fromPath: '/b' })).success).toBe(true);
    for (const bad of [
      change({ entry: folder('/b') }),
      change({ op: 'move' }),
      change({ op: 'move', fromPath: '/a' }),
      change({ op: 'move', fromPath: '/a/inner' }),
      change({ op: 'move', path: '/b/a', entry: folder('/b/a'), fromPath: '/b' }),
      change({ op: 'move', fromPath: '/../a' }),
    ]) {
      expect(changeSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('sets a refused change apart without failing the page', () => {
    const page = checkedChangesResponse.parse({
      changes: [
        { seq: 1, op: 'create', path: '/ok', entry: folder('/ok') },
        { seq: 2, op: 'create', path: '/..', entry: folder('/..') },
        'not even an object',
        { seq: 4, op: 'create', path: '/ok/f.txt', entry: file('/ok/f.txt') },
      ],
      cursor: 4,
      hasMore: false,
    });
    expect(page.changes.accepted.map((change) => change.path)).toEqual(['/ok', '/ok/f.txt']);
    expect(page.changes.refused).toEqual([
      { item: expect.objectContaining({ path: '/..' }), reason: expect.stringContaining('".."') },
      { item: 'not even an object', reason: expect.any(String) },
    ]);
    expect(page.cursor).toBe(4);
  });

  it('refuses garbage item by item, never throwing on it', () => {
    const garbage = [null, 1, 'x', [], {}, { ...file('/a'), path: 123 }, { ...file('/a'), path: null }, { ...file('/a'), name: 5 }, { ...file('/a'), kind: 'x' }];
    expect(checkedListResponse.parse({ entries: garbage }).entries.refused).toHaveLength(garbage.length);
    const moves = garbage.map((entry) => ({ seq: 1, op: 'move', path: '/a', fromPath: 7, entry }));
    expect(checkedChangesResponse.parse({ changes: moves, cursor: 1, hasMore: false }).changes.refused).toHaveLength(garbage.length);
  });
});
