import { BrowserWindow, protocol, session } from 'electron';
import { readFile } from 'node:fs/promises';
import { contentTypeOf } from '../app/ui/staticFiles.js';
import { rendererFileFor } from './rendererFiles.js';
import { APP_ENTRY_URL, APP_SCHEME, RENDERER_CSP, isNavigationAllowed, secureWebPreferences } from './windowSecurity.js';

/** Must run before the app is ready: app:// behaves like https (standard, secure origin). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } }]);
}

/** Serves the built renderer under app://netdisk with the CSP on every response; anything else is 404. */
export function serveRenderer(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFileFor(request.url, rendererRoot);
    if (file === null) return new Response('not found', { status: 404 });
    try {
      return new Response(await readFile(file), { headers: { 'content-type': contentTypeOf(file), 'content-security-policy': RENDERER_CSP } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
  // The renderer may reach no network at all; its data comes over the preload bridge.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, grant) => grant(false));
}

/** The one window: isolated, sandboxed, pinned to the app origin, opening nothing. */
export function createAppWindow(preloadPath: string, iconPath: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 960,
    height: 680,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Netdisk Sync',
    icon: iconPath,
    webPreferences: secureWebPreferences(preloadPath),
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
