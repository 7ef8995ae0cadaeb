import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.js';

const ACCOUNT = ['--server', 'http://127.0.0.1:8080', '--folder', 'sync'];
const VERSION = 'a'.repeat(32);

describe('netdisk-sync versions and restore arguments', () => {
  it('maps a path inside the sync folder to its drive path, or takes a drive path; restore needs a version id', () => {
    expect(parseCommand(['versions', join('sync', 'docs', 'a.txt'), ...ACCOUNT], {})).toEqual({
      command: 'versions', server: 'http://127.0.0.1:8080', stateDir: join(resolve('sync'), '.netdisk-sync'),
      path: '/docs/a.txt', versionId: undefined, json: false,
    });
    expect(parseCommand(['restore', '/报告.txt', '--version', VERSION, '--json', ...ACCOUNT], {})).toMatchObject({
      command: 'restore', path: '/报告.txt', versionId: VERSION, json: true,
    });
  });

  it.each([
    [['versions', ...ACCOUNT], /versions takes one PATH/],
    [['versions', '/a', '/b', ...ACCOUNT], /versions takes one PATH/],
    [['versions', '/', ...ACCOUNT], /a path inside the sync folder or a drive path/],
    [['versions', '/a/../b', ...ACCOUNT], /a path inside the sync folder or a drive path/],
    [['versions', '/a\u0000b', ...ACCOUNT], /a path inside the sync folder or a drive path/],
    [['versions', 'relative/outside', ...ACCOUNT], /a path inside the sync folder or a drive path/],
    [['versions', '/a', '--version', VERSION, ...ACCOUNT], /Unknown option '--version'/],
    [['versions', '/a', '--server', 'http://127.0.0.1:8080'], /needs --folder or --state/],
    [['restore', '/a', ...ACCOUNT], /restore needs --version V/],
    [['restore', '/a', '--version', 'A'.repeat(32), ...ACCOUNT], /--version takes a version id \(32 hex digits\)/],
    [['restore', '/a', '--version', 'a'.repeat(31), ...ACCOUNT], /--version takes a version id/],
    [['restore', '/a', '--version', '../../etc/passwd', ...ACCOUNT], /--version takes a version id/],
    [['restore', '/a', '--version', `${VERSION}\n`, ...ACCOUNT], /--version takes a version id/],
    [['restore', '/a', '--version', VERSION, '--server', 'javascript:alert(1)', '--folder', 'sync'], /--server must be an http\(s\) URL/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommand(argv, {})).toThrow(UsageError);
    expect(() => parseCommand(argv, {})).toThrow(message);
  });
});
