import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.js';

const SERVER = ['--server', 'http://127.0.0.1:8080'];

describe('parseCommand', () => {
  it('keeps the plain sync command as it was', () => {
    const parsed = parseCommand([...SERVER, '--folder', 'docs', '--once'], {});
    expect(parsed.command).toBe('sync');
    expect(parsed.command === 'sync' && parsed.args).toMatchObject({ folder: 'docs', once: true, server: 'http://127.0.0.1:8080' });
  });

  it('reads --full-scan-minutes (0 = never) and refuses a negative or non-numeric one', () => {
    const parsed = parseCommand([...SERVER, '--folder', 'docs', '--full-scan-minutes', '0.5'], {});
    expect(parsed.command === 'sync' && parsed.args.fullScanMinutes).toBe(0.5);
    const plain = parseCommand([...SERVER, '--folder', 'docs'], {});
    expect(plain.command === 'sync' && plain.args.fullScanMinutes).toBeUndefined();
    for (const bad of ['-1', 'hourly']) {
      expect(() => parseCommand([...SERVER, '--folder', 'docs', '--full-scan-minutes', bad], {})).toThrow(UsageError);
    }
  });

  it('reads login with a provider; the account lives in the folder\'s state dir', () => {
    expect(parseCommand(['login', ...SERVER, '--folder', 'docs', '--provider', 'qq', '--no-browser'], {})).toEqual({
      command: 'login',
      server: 'http://127.0.0.1:8080',
      stateDir: join(resolve('docs'), '.netdisk-sync'),
      provider: 'qq',
      username: undefined,
      password: undefined,
      launchBrowser: false,
      json: false,
    });
  });

  it('takes --state instead of --folder, and oidc:<name> providers', () => {
    const parsed = parseCommand(['login', ...SERVER, '--state', '/tmp/s', '--provider', 'oidc:corp'], {});
    expect(parsed).toMatchObject({ stateDir: '/tmp/s', provider: 'oidc:corp', launchBrowser: true });
  });

  it('defaults to a password sign-in, with the password from NETDISK_PASSWORD', () => {
    const parsed = parseCommand(['login', ...SERVER, '--folder', 'd', '--username', 'ada'], { NETDISK_PASSWORD: 'pw' });
    expect(parsed).toMatchObject({ provider: 'password', username: 'ada', password: 'pw' });
  });

  it('reads whoami --json and logout, with the server from NETDISK_SERVER', () => {
    expect(parseCommand(['whoami', '--folder', 'd', '--json'], { NETDISK_SERVER: 'https://disk.example' })).toMatchObject({ command: 'whoami', json: true, server: 'https://disk.example' });
    expect(parseCommand(['logout', ...SERVER, '--state', 's'], {})).toMatchObject({ command: 'logout' });
  });

  it('answers --help / -h with the usage of the command it follows, before any other check', () => {
    expect(parseCommand(['--help'], {})).toMatchObject({ command: 'help', usage: expect.stringMatching(/^usage: netdisk-sync --server URL/) });
    expect(parseCommand(['whoami', '-h'], {})).toMatchObject({ command: 'help', usage: expect.stringMatching(/^usage: netdisk-sync whoami /) });
    // After `--` it is an argument, which the sync command does not take.
    expect(() => parseCommand([...SERVER, '--folder', 'd', '--', '--help'], {})).toThrow(UsageError);
  });

  it.each([
    [['login', ...SERVER, '--folder', 'd'], /needs --username/],
    [['login', ...SERVER, '--folder', 'd', '--provider', 'wechat'], /--provider takes qq, oidc:<name> or password/],
    [['login', ...SERVER, '--folder', 'd', '--provider', 'oidc:'], /--provider takes/],
    [['whoami', ...SERVER], /needs --folder or --state/],
    [['logout', '--folder', 'd'], /--server is required/],
    [['whoami', ...SERVER, '--folder', 'd', '--once'], /Unknown option '--once'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommand(argv, {})).toThrow(UsageError);
    expect(() => parseCommand(argv, {})).toThrow(message);
  });
});
