import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from './args.js';

const base = ['--server', 'http://127.0.0.1:8080', '--folder', '/tmp/f'];

describe('--ui', () => {
  it('takes the loopback literal and a port (0: the system picks)', () => {
    expect(parseCliArgs([...base, '--ui', '127.0.0.1:8384'], {}).ui).toEqual({ port: 8384 });
    expect(parseCliArgs([...base, '--ui', '127.0.0.1:0'], {}).ui).toEqual({ port: 0 });
    expect(parseCliArgs(base, {}).ui).toBeUndefined();
  });

  it('refuses other interfaces, names and ports out of range', () => {
    for (const value of ['0.0.0.0:8384', 'localhost:8384', '192.168.1.2:80', '127.0.0.1:65536', '127.0.0.1', ':8384']) {
      expect(() => parseCliArgs([...base, '--ui', value], {}), value).toThrow(UsageError);
    }
  });

  it('does not go with --once', () => {
    expect(() => parseCliArgs([...base, '--ui', '127.0.0.1:0', '--once'], {})).toThrow(/--once/);
  });

  it('leaves limits unset when no flag is given, so saved settings apply', () => {
    const args = parseCliArgs([...base, '--ui', '127.0.0.1:0'], {});
    expect([args.uploadLimit, args.downloadLimit, args.concurrency]).toEqual([undefined, undefined, undefined]);
    expect(parseCliArgs([...base, '--upload-limit', '250'], {}).uploadLimit).toBe(250_000);
  });
});
