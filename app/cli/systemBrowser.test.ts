import { describe, expect, it } from 'vitest';
import { browserCommand } from './systemBrowser.js';

describe('browserCommand', () => {
  it('uses xdg-open on Linux only when a display is there', () => {
    expect(browserCommand('linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(browserCommand('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(browserCommand('linux', {})).toBeNull();
    expect(browserCommand('linux', { DISPLAY: '' })).toBeNull();
  });

  it('uses open on macOS and the URL protocol handler on Windows (no cmd parsing of &)', () => {
    expect(browserCommand('darwin', {})).toEqual({ command: 'open', args: [] });
    expect(browserCommand('win32', {})).toEqual({ command: 'rundll32', args: ['url.dll,FileProtocolHandler'] });
  });
});
