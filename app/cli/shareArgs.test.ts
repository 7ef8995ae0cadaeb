import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.js';

const ACCOUNT = ['--server', 'http://127.0.0.1:8080', '--folder', 'sync'];

describe('netdisk-sync share arguments', () => {
  it('maps a path inside the sync folder to its drive path; takes code, expiry and limit', () => {
    expect(parseCommand(['share', join('sync', 'docs', 'a.txt'), ...ACCOUNT, '--code', 'Ab12', '--expires', '7d', '--max-downloads', '5'], {})).toEqual({
      command: 'share',
      server: 'http://127.0.0.1:8080',
      stateDir: join(resolve('sync'), '.netdisk-sync'),
      json: false,
      action: { kind: 'create', path: '/docs/a.txt', code: 'Ab12', expiresInSeconds: 7 * 86_400, maxDownloads: 5 },
    });
  });

  it('takes a drive path outside the folder as it is; --no-code, hours, list and revoke', () => {
    expect(parseCommand(['share', '/photos', ...ACCOUNT, '--no-code', '--expires', '12h'], {})).toMatchObject({
      action: { kind: 'create', path: '/photos', code: null, expiresInSeconds: 12 * 3600, maxDownloads: undefined },
    });
    expect(parseCommand(['share', '--list', '--json', ...ACCOUNT], {})).toMatchObject({ action: { kind: 'list' }, json: true });
    expect(parseCommand(['share', '--revoke', 'A'.repeat(22), ...ACCOUNT], {})).toMatchObject({ action: { kind: 'revoke', id: 'A'.repeat(22) } });
  });

  it.each([
    [['share', ...ACCOUNT], /one of: PATH, --list, --revoke ID/],
    [['share', '/a', '--list', ...ACCOUNT], /one of/],
    [['share', '/a', '/b', ...ACCOUNT], /one PATH/],
    [['share', '/a', '--code', 'abc', ...ACCOUNT], /4 letters or digits/],
    [['share', '/a', '--code', 'abcd', '--no-code', ...ACCOUNT], /do not go together/],
    [['share', '/a', '--expires', '7w', ...ACCOUNT], /--expires takes a duration/],
    [['share', '/a', '--expires', '400d', ...ACCOUNT], /at most 365d/],
    [['share', '/a', '--max-downloads', '0', ...ACCOUNT], /--max-downloads takes a whole number/],
    [['share', '/a', '--max-downloads', '0x10', ...ACCOUNT], /--max-downloads takes a whole number/],
    [['share', '/a', '--max-downloads', '1e3', ...ACCOUNT], /--max-downloads takes a whole number/],
    [['share', '/a', '--max-downloads', '2.5', ...ACCOUNT], /--max-downloads takes a whole number/],
    [['share', '/a', '--max-downloads', '1000001', ...ACCOUNT], /--max-downloads takes a whole number/],
    [['share', '/a', '--expires', '0d', ...ACCOUNT], /--expires takes a duration/],
    [['share', '/a', '--expires=-1d', ...ACCOUNT], /--expires takes a duration/],
    [['share', '/a', '--expires', '-1d', ...ACCOUNT], /argument is ambiguous/],
    [['share', '/a', '--code', 'ab\u001bc', ...ACCOUNT], /4 letters or digits/],
    [['share', '/a', '--code', '１２３４', ...ACCOUNT], /4 letters or digits/],
    [['share', '--list', '--code', 'abcd', ...ACCOUNT], /--code is for a new link/],
    [['share', '--revoke', 'A'.repeat(22), '--expires', '7d', ...ACCOUNT], /--expires is for a new link/],
    [['share', '--list', '--no-code', ...ACCOUNT], /--no-code is for a new link/],
    [['share', '/', ...ACCOUNT], /a path inside the sync folder or a drive path/],
    [['share', '/a/../b', ...ACCOUNT], /a path inside the sync folder or a drive path/],
    [['share', '/a', '--server', 'http://', '--folder', 'sync'], /--server must be an http\(s\) URL/],
    [['share', '/a', '--server', 'ftp://host', '--folder', 'sync'], /--server must be an http\(s\) URL/],
    [['share', '/a', '--bogus', ...ACCOUNT], /Unknown option '--bogus'/],
    [['share', '--revoke', 'short', ...ACCOUNT], /--revoke takes a link id/],
    [['share', 'relative/outside', ...ACCOUNT], /a path inside the sync folder or a drive path/],
    [['share', '/a', '--server', 'http://x'], /needs --folder or --state/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommand(argv, {})).toThrow(UsageError);
    expect(() => parseCommand(argv, {})).toThrow(message);
  });
});
