import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.js';

const FOLDER = ['--folder', 'sync'];

describe('netdisk-sync folders arguments', () => {
  it('lists the top level by default, or a folder given as a path in the sync folder or a drive path', () => {
    expect(parseCommand(['folders', 'list', ...FOLDER], {})).toEqual({
      command: 'folders', stateDir: join(resolve('sync'), '.netdisk-sync'), json: false, action: { kind: 'list', path: '/' },
    });
    expect(parseCommand(['folders', 'list', join('sync', 'photos'), '--json', ...FOLDER], {})).toMatchObject({ json: true, action: { kind: 'list', path: '/photos' } });
    expect(parseCommand(['folders', 'exclude', '/photos/2024', '--state', '/tmp/st'], {})).toEqual({
      command: 'folders', stateDir: '/tmp/st', json: false, action: { kind: 'exclude', path: '/photos/2024' },
    });
    expect(parseCommand(['folders', 'include', '/photos', ...FOLDER], {})).toMatchObject({ action: { kind: 'include', path: '/photos' } });
    expect(parseCommand(['folders', 'new-folders', 'no', ...FOLDER], {})).toMatchObject({ action: { kind: 'new-folders', sync: false } });
    expect(parseCommand(['folders', 'new-folders', 'yes', ...FOLDER], {})).toMatchObject({ action: { kind: 'new-folders', sync: true } });
  });

  it.each([
    [['folders', ...FOLDER], /one of: list, include, exclude, new-folders/],
    [['folders', 'remove', '/a', ...FOLDER], /one of/],
    [['folders', 'exclude', ...FOLDER], /takes a PATH/],
    [['folders', 'exclude', '/a', '/b', ...FOLDER], /one argument/],
    [['folders', 'new-folders', 'maybe', ...FOLDER], /yes or no/],
    [['folders', 'list'], /--folder or --state/],
    [['folders', 'exclude', 'a/../../x', ...FOLDER], /folders takes a path inside the sync folder/],
    [['folders', 'list', '--bogus', ...FOLDER], /Unknown option/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCommand(argv, {})).toThrow(UsageError);
    expect(() => parseCommand(argv, {})).toThrow(message);
  });
});
