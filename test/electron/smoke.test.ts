import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { _electron as electron } from 'playwright-core';

/** The Electron binary, when its (lazy) download ever happened; electron@45 records it in path.txt. */
function electronBinary(): string | null {
  const pathFile = join('node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join('node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const binary = electronBinary();
if (binary === null) console.log('skipping the Electron smoke test: the Electron binary is not installed (run `npx electron --version` on a machine with internet)');

describe.skipIf(binary === null)('desktop app smoke (real Electron)', () => {
  it('starts, shows the tray and opens the sign-in window', async () => {
    const userData = mkdtempSync(join(tmpdir(), 'netdisk-electron-'));
    const app = await electron.launch({ executablePath: binary!, args: ['.', `--user-data-dir=${userData}`], env: { ...process.env, HOME: userData } });
    try {
      const window = await app.firstWindow();
      expect(window.url()).toBe('app://netdisk/index.html');
      const windows = await app.evaluate(async ({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
      expect(windows).toBe(1);
      expect(await window.evaluate(() => typeof (window as unknown as { netdisk?: unknown }).netdisk)).toBe('object');
      expect(await window.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
