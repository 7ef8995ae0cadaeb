import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
