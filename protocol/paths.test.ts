import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEntryPath, checkPath, isSameOrBelow, joinPath, nameOf, parentOf, utf8Length } from './paths.js';

describe('drive paths', () => {
  it.each([
    ['/', '/'],
    ['/a', '/a'],
    ['/a b/c.txt', '/a b/c.txt'],
    ['/中文/文件.txt', '/中文/文件.txt'],
    ['/Cafe\u0301', '/Caf\u00e9'],
    ['/smile \uD83D\uDE00', '/smile \uD83D\uDE00'],
  ])('accepts %j as %j', (input, path) => {
    expect(checkPath(input)).toEqual({ ok: true, path });
  });

  it.each([
    ['relative', 'a/b'],
    ['empty', ''],
    ['dotdot', '/a/../b'],
    ['dot', '/a/./b'],
    ['empty segment', '/a//b'],
    ['trailing slash', '/a/'],
    ['NUL', '/a\u0000b'],
    ['newline', '/a\nb'],
    ['DEL', '/a\u007f'],
    ['C1 control', '/a\u0085'],
    ['long name', `/${'x'.repeat(256)}`],
    ['long multibyte name', `/${'文'.repeat(86)}`],
    ['long path', `/${Array.from({ length: 20 }, () => 'y'.repeat(250)).join('/')}`],
    ['not a string', 42],
    ['lone high surrogate', '/a\uD83Db'],
    ['lone high surrogate at the end', '/a\uD83D'],
    ['lone low surrogate', '/a\uDE00b'],
    ['reversed surrogate pair', '/\uDE00\uD83D'],
  ])('refuses %s', (_label, input) => {
    expect(checkPath(input).ok).toBe(false);
  });

  it('refuses the root for entry operations', () => {
    expect(checkEntryPath('/').ok).toBe(false);
    expect(checkEntryPath('/x').ok).toBe(true);
  });

  it('splits and joins', () => {
    expect(parentOf('/a/b/c')).toBe('/a/b');
    expect(parentOf('/a')).toBe('/');
    expect(nameOf('/a/b/c')).toBe('c');
    expect(joinPath('/', 'x')).toBe('/x');
    expect(joinPath('/a', 'x')).toBe('/a/x');
    expect(isSameOrBelow('/a/b', '/a')).toBe(true);
    expect(isSameOrBelow('/ab', '/a')).toBe(false);
    expect(isSameOrBelow('/a', '/')).toBe(true);
  });

  it('counts UTF-8 bytes exactly as an encoder would, lone surrogates included', () => {
    const encoder = new TextEncoder();
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => utf8Length(text) === encoder.encode(text).length), { numRuns: 2000 });
    for (const text of ['', 'a', 'é', '文', '😀', '\ud800', '\udc00x', 'a\ud83d']) expect(utf8Length(text), text).toBe(encoder.encode(text).length);
  });

  it('keeps non-ASCII paths NFC-normalized and ASCII ones as they are', () => {
    expect(checkPath('/cafe\u0301')).toEqual({ ok: true, path: '/caf\u00e9' });
    expect(checkPath('/plain name.txt')).toEqual({ ok: true, path: '/plain name.txt' });
  });
});

