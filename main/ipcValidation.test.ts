import { describe, expect, it } from 'vitest';
import { isTrustedSender } from './ipcValidation.js';

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
