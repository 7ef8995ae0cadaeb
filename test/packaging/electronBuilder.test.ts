import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// electron-builder's own asar reader (a dependency of electron-builder).
import { listPackage } from '@electron/asar';

/**
 * Validates electron-builder.yml offline: `--dir --linux` with a stand-in
 * Electron (electron-builder would otherwise download it) and no native
 * rebuild (that needs Electron's headers from the internet). Run after
 * `npm run build`, as `npm test` does.
 */
describe('electron-builder packaging (--dir, stand-in Electron)', () => {
  let scratch: string;
  let resources: string;
  let entries: Set<string>;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'netdisk-pack-'));
    const electronDist = join(scratch, 'electron-dist');
    mkdirSync(electronDist);
    const stub = join(electronDist, 'electron');
    writeFileSync(stub, '#!/bin/sh\necho "stand-in for the Electron binary (packaging test)" >&2\nexit 1\n');
    chmodSync(stub, 0o755);
    const output = join(scratch, 'release');
    const result = spawnSync('npx', ['electron-builder', '--dir', '--linux', '--config', 'electron-builder.yml',
      `-c.electronDist=${electronDist}`, '-c.npmRebuild=false', `-c.directories.output=${output}`], {
      encoding: 'utf8',
      // Keeps electron-builder's caches out of $HOME.
      env: { ...process.env, XDG_CACHE_HOME: join(scratch, 'cache'), ELECTRON_BUILDER_CACHE: join(scratch, 'cache') },
      timeout: 150_000,
    });
    if (result.status !== 0) throw new Error(`electron-builder failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
    resources = join(output, 'linux-unpacked', 'resources');
    entries = new Set(listPackage(join(resources, 'app.asar'), { isPack: false }).map((entry) => entry.replaceAll('\\', '/')));
  }, 180_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('packs the built main process, preload, renderer, engine and embedded service', () => {
    for (const file of ['/package.json', '/dist/main/main.js', '/dist/main/preload.cjs', '/dist/renderer/index.html',
      '/dist/app/syncClient.js', '/dist/protocol/bridge.js', '/dist/server/server.js', '/bin/netdisk-server.js']) {
      expect(entries.has(file), file).toBe(true);
    }
  });

  it('leaves tests, benchmarks and source maps out', () => {
    const unwanted = [...entries].filter((entry) => /^\/dist\/(test|bench)\//.test(entry) || entry.endsWith('.map') || entry.endsWith('.test.js'));
    expect(unwanted).toEqual([]);
  });

  it('unpacks the native modules and the hashing worker from the asar', () => {
    const unpacked = join(resources, 'app.asar.unpacked');
    for (const file of ['node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_modules/keytar/build/Release/keytar.node', 'dist/native-workers/hashWorker.js']) {
      expect(existsSync(join(unpacked, file)), file).toBe(true);
    }
  });

  it('ships the tray pictures as resources', () => {
    expect(existsSync(join(resources, 'tray', 'idle-light.png'))).toBe(true);
    expect(existsSync(join(resources, 'tray', 'syncingTemplate.png'))).toBe(true);
    expect(existsSync(join(resources, 'icon.png'))).toBe(true);
  });
});
