/**
 * The renderer window's security settings and navigation policy, as plain data
 * and pure functions so they are unit-tested without Electron. The window
 * loads the built renderer from the privileged `app://` scheme (not file://,
 * whose origin is shared by every local file), and never leaves it.
 */

/** Scheme and host the renderer is served from; its origin is the only trusted one. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'netdisk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Content-Security-Policy for every renderer response. Scripts and styles come
 * only from the app's own files (React sets styles through the CSSOM, which
 * CSP allows); the page may not fetch, frame, post forms or be framed: all
 * data comes over the preload bridge.
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The subset of Electron's WebPreferences this app sets; every value is the safe one. */
export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  spellcheck: false;
}

export function secureWebPreferences(preloadPath: string): SecureWebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** True only for a URL on the app's own origin (a reload of the UI). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

/** `will-navigate` policy: the window stays on the app; links to elsewhere go nowhere. */
export function isNavigationAllowed(url: string): boolean {
  return isAppUrl(url);
}
