import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { APP_ENTRY_URL, RENDERER_CSP, isAppUrl, isNavigationAllowed, secureWebPreferences } from './windowSecurity.js';
import { contentTypeOf } from '../app/ui/staticFiles.js';
import { rendererFileFor } from './rendererFiles.js';

describe('window security', () => {
  it('isolates and sandboxes the renderer with no Node access', () => {
    const prefs = secureWebPreferences('/app/dist/main/preload.cjs');
    expect(prefs).toMatchObject({ preload: '/app/dist/main/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });
  });

  it('allows scripts only from the app and no network or framing', () => {
    const directives = new Map(RENDERER_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(RENDERER_CSP).not.toContain('unsafe');
  });

  it('keeps the window on the app origin', () => {
    expect(isNavigationAllowed(APP_ENTRY_URL)).toBe(true);
    expect(isNavigationAllowed('app://netdisk/index.html#/settings')).toBe(true);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://other/index.html', 'app://user:pw@netdisk/', 'javascript:alert(1)', 'not a url']) {
      expect(isNavigationAllowed(url), url).toBe(false);
      expect(isAppUrl(url), url).toBe(false);
    }
  });
});

describe('renderer files behind app://', () => {
  const root = resolve('/srv/renderer');

  it('maps app URLs to files under the renderer folder', () => {
    expect(rendererFileFor('app://netdisk/', root)).toBe(join(root, 'index.html'));
    expect(rendererFileFor('app://netdisk/assets/index-abc.js?v=1', root)).toBe(join(root, 'assets', 'index-abc.js'));
  });

  it('refuses other hosts and anything that would leave the folder', () => {
    for (const url of ['app://other/index.html', 'https://netdisk/index.html', 'app://netdisk/..%2f..%2fetc%2fpasswd',
      'app://netdisk/assets/..%2F..%2Fsecret', 'app://netdisk/a%5C..%5C..%5Cx', 'app://netdisk/%00', 'app://netdisk/%E0%A4%A']) {
      expect(rendererFileFor(url, root), url).toBeNull();
    }
  });

  it('serves scripts with a JavaScript type (module scripts need it)', () => {
    expect(contentTypeOf('/x/index-abc.js')).toMatch(/^text\/javascript/);
    expect(contentTypeOf('/x/index.HTML')).toMatch(/^text\/html/);
    expect(contentTypeOf('/x/blob.bin')).toBe('application/octet-stream');
  });
});
