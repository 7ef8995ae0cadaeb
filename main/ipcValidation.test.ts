import { describe, expect, it } from 'vitest';
import { isTrustedSender, parseBridgeCall } from './ipcValidation.js';

describe('isTrustedSender', () => {
  const app = { webContentsId: 7, frameUrl: 'app://netdisk/index.html', isMainFrame: true };

  it('accepts the app window top frame on the app origin', () => {
    expect(isTrustedSender(app, 7)).toBe(true);
  });

  it('refuses other windows, subframes, foreign origins and gone frames', () => {
    expect(isTrustedSender({ ...app, webContentsId: 8 }, 7)).toBe(false);
    expect(isTrustedSender(app, null)).toBe(false);
    expect(isTrustedSender({ ...app, isMainFrame: false }, 7)).toBe(false);
    expect(isTrustedSender({ ...app, frameUrl: 'https://evil.example/' }, 7)).toBe(false);
    expect(isTrustedSender({ ...app, frameUrl: 'file:///tmp/index.html' }, 7)).toBe(false);
    expect(isTrustedSender({ ...app, frameUrl: null }, 7)).toBe(false);
  });
});

describe('parseBridgeCall', () => {
  it('passes a valid call with its parsed arguments', () => {
    expect(parseBridgeCall('pause', undefined)).toEqual({ ok: true, command: 'pause', args: undefined });
    expect(parseBridgeCall('setSettings', { uploadLimit: 1024 })).toEqual({ ok: true, command: 'setSettings', args: { uploadLimit: 1024 } });
  });

  it('refuses unknown commands, including inherited names', () => {
    for (const command of ['launchMissiles', 'toString', '__proto__', 42, undefined]) {
      const result = parseBridgeCall(command, undefined);
      expect(result.ok, String(command)).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('unknown_command');
    }
  });

  it('refuses bad arguments without echoing their values', () => {
    const result = parseBridgeCall('signInWithPassword', { username: 'ann', password: '', extra: 'x' });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    if (!result.ok) expect(result.error.message).toContain('password');
    const secret = parseBridgeCall('signInWithPassword', { username: 'ann', password: 7 });
    expect(secret.ok).toBe(false);
    expect(parseBridgeCall('pause', { now: true }).ok).toBe(false);
    expect(parseBridgeCall('setSettings', { server: 'ftp://x' }).ok).toBe(false);
    const leaked = parseBridgeCall('signInWithPassword', { username: 'x'.repeat(65), password: 'hunter2-secret' });
    if (!leaked.ok) expect(leaked.error.message).not.toContain('hunter2');
  });
});
