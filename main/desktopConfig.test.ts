import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DESKTOP_CONFIG_FILE, readDesktopConfig, writeDesktopConfig } from './desktopConfig.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const configFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'desktop-config-'));
  dirs.push(dir);
  return join(dir, 'user-data', DESKTOP_CONFIG_FILE);
};

describe('desktop config', () => {
  it('starts with the embedded service and ~/Netdisk', () => {
    expect(readDesktopConfig(configFile(), '/home/ann')).toEqual({ folder: join('/home/ann', 'Netdisk'), server: null });
  });

  it('keeps a chosen folder and server, owner-only', () => {
    const file = configFile();
    writeDesktopConfig(file, { folder: '/data/sync', server: 'https://disk.example.com' });
    expect(readDesktopConfig(file, '/home/ann')).toEqual({ folder: '/data/sync', server: 'https://disk.example.com' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('falls back to the defaults for a damaged file and refuses to write a bad server', () => {
    const file = configFile();
    writeDesktopConfig(file, { folder: '/x', server: null });
    writeFileSync(file, '{"folder": "/x", "server": "ftp://nope"}');
    expect(readDesktopConfig(file, '/home/ann').server).toBeNull();
    expect(readDesktopConfig(file, '/home/ann').folder).toBe(join('/home/ann', 'Netdisk'));
    expect(() => writeDesktopConfig(file, { folder: '/x', server: 'javascript:alert(1)' })).toThrow();
  });
});
