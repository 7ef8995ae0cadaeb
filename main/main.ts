// The Electron main process: a thin shell over app/. It owns the lifecycle,
// the tray, the one window and the IPC carriage of the bridge contract; every
// decision it makes lives in a pure module next to it (trayModel,
// windowSecurity, ipcValidation, notifications, desktopConfig).
import { Notification, app, net, powerMonitor, safeStorage, shell, utilityProcess, type BrowserWindow } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openCredentialStore } from '../app/auth/credentialStore.js';
import { preferSmallHeap } from '../app/base/heapPolicy.js';
import type { BridgeService } from '../app/ui/bridgeService.js';
import type { BridgeEvent } from '../protocol/bridge.js';
import { createAppWindow, registerAppScheme, serveRenderer } from './appWindow.js';
import { DESKTOP_CONFIG_FILE, readDesktopConfig, writeDesktopConfig } from './desktopConfig.js';
import { DesktopSession } from './desktopSession.js';
import { startEmbeddedService, type EmbeddedService } from './embeddedService.js';
import { externalUrlToOpen } from './externalUrls.js';
import { sendBridgeEvent, serveBridgeOverIpc } from './ipcHandlers.js';
import { NotificationFilter } from './notifications.js';
import { SafeStorageCredentialStore } from './safeStorageCredentialStore.js';
import { TrayIcon } from './trayIcon.js';
import { nextTrayStatus, type TrayCommand, type TrayStatus } from './trayModel.js';

// This process runs the sync engine for days: its heap stays small (app/base/heapPolicy.ts).
preferSmallHeap();

const appRoot = app.getAppPath();
const userData = app.getPath('userData');
const configFile = join(userData, DESKTOP_CONFIG_FILE);
const resourcesDir = app.isPackaged ? process.resourcesPath : join(appRoot, 'build');
/** The QQ stand-in runner exists in a development build only (packaged apps leave test/ out). */
const qqStandinScript = join(appRoot, 'dist', 'test', 'qqStandin', 'main.js');
/** How often to ask whether the network came back: Electron's main process has no online event. */
const NETWORK_CHECK_MS = 30_000;

let session: DesktopSession | null = null;
let embedded: EmbeddedService | null = null;
let window: BrowserWindow | null = null;
let tray: TrayIcon | null = null;
let trayStatus: TrayStatus = { state: 'signed_out', pendingFiles: 0, recent: [], hasFolder: false };
const notifications = new NotificationFilter();
let quitting: Promise<void> | null = null;

function log(message: string): void {
  // Never a token: the engine's messages and errors carry none.
  process.stderr.write(`netdisk-sync: ${message}\n`);
}

/** Opens the sync named by the desktop config, starting the embedded service when no server is set. */
async function openSession(): Promise<void> {
  const config = readDesktopConfig(configFile);
  if (config.server === null && embedded === null) {
    embedded = await startEmbeddedService({
      fork: (script, args, env) => utilityProcess.fork(script, args, { serviceName: 'Netdisk Sync local service', stdio: 'ignore', env: { ...process.env, ...env } }),
      scriptPath: join(appRoot, 'bin', 'netdisk-server.js'),
      dataDir: join(userData, 'netdisk-data'),
      ...(existsSync(qqStandinScript) ? { qqStandinScript } : {}),
    });
  } else if (config.server !== null && embedded !== null) {
    await embedded.stop();
    embedded = null;
  }
  const server = config.server ?? embedded!.url;
  const secretsDir = join(userData, 'secrets');
  const credentials = await openCredentialStore({ stateDir: secretsDir, warn: log, fallback: new SafeStorageCredentialStore(safeStorage, secretsDir) });
  session = await DesktopSession.open({
    folder: config.folder,
    server,
    warn: log,
    credentials,
    bridge: {
      openPath: async (absPath) => {
        const failure = await shell.openPath(absPath);
        if (failure !== '') throw new Error(failure);
      },
      openBrowser: async (url) => {
        const safe = externalUrlToOpen(url);
        if (safe === null) throw new Error('refusing to open a non-http(s) sign-in URL');
        await shell.openExternal(safe);
      },
      changeLocation: relocate,
      builtInService: { inUse: config.server === null },
      onInternalError: (error) => log(`internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`),
    },
  });
  trayStatus = { ...trayStatus, hasFolder: existsSync(config.folder) };
  session.start(onBridgeEvent);
  const info = await session.bridge.call('getSnapshot', undefined) as { session: { state: string }; settings: { startAtLogin: boolean } };
  if (info.session.state === 'signed_in') onBridgeEvent({ type: 'session', session: { state: 'signed_in', username: null, reason: null } });
  applyStartAtLogin(info.settings.startAtLogin);
  // First run (or signed out): the window is where one signs in.
  if (info.session.state !== 'signed_in') showWindow();
}

/** A new folder or server from the first-run step or Settings: remembered, then the sync reopens there. */
async function relocate(next: { folder: string; server: string | null }): Promise<BridgeService> {
  const current = readDesktopConfig(configFile);
  const server = embedded !== null && next.server === embedded.url ? null : next.server;
  writeDesktopConfig(configFile, { ...current, folder: next.folder, server });
  const old = session;
  session = null;
  await old?.close();
  await openSession();
  // openSession sets it or throws.
  return session!.bridge;
}

function onBridgeEvent(event: BridgeEvent): void {
  sendBridgeEvent(window?.webContents ?? null, event);
  trayStatus = nextTrayStatus(trayStatus, event);
  tray?.show(trayStatus);
  if (event.type === 'settings') applyStartAtLogin(event.settings.startAtLogin);
  const note = notifications.next(event);
  if (note !== null && Notification.isSupported()) {
    const shown = new Notification({ title: note.title, body: note.body, icon: join(resourcesDir, 'icon.png') });
    shown.on('click', showWindow);
    shown.show();
  }
}

function applyStartAtLogin(openAtLogin: boolean): void {
  if (app.getLoginItemSettings().openAtLogin !== openAtLogin) app.setLoginItemSettings({ openAtLogin });
}

function showWindow(): void {
  if (window === null || window.isDestroyed()) {
    window = createAppWindow(join(appRoot, 'dist', 'main', 'preload.cjs'), join(resourcesDir, 'icon.png'));
    window.on('closed', () => { window = null; });
  } else {
    if (window.isMinimized()) window.restore();
    window.focus();
  }
}

function onTrayCommand(command: TrayCommand): void {
  switch (command) {
    case 'pause': void session?.bridge.call('pause', undefined).catch(reportFailure); break;
    case 'resume': void session?.bridge.call('resume', undefined).catch(reportFailure); break;
    case 'openFolder': if (session) void shell.openPath(session.client.folder); break;
    case 'openWindow': showWindow(); break;
    case 'quit': app.quit(); break;
  }
}

function reportFailure(error: unknown): void {
  log(session?.bridge.describeError(error).message ?? String(error));
}

/** Stops the engine (chunks stay resumable), closes the database and the local service, once. */
function shutdown(): Promise<void> {
  quitting ??= (async () => {
    tray?.destroy();
    tray = null;
    const closing = session;
    session = null;
    await closing?.close().catch((error: unknown) => log(`closing the sync failed: ${String(error)}`));
    await embedded?.stop();
    embedded = null;
  })();
  return quitting;
}

function nudge(): void {
  session?.client.engine.syncNow();
}

function watchSystem(): void {
  powerMonitor.on('resume', nudge);
  powerMonitor.on('unlock-screen', nudge);
  // Linux and macOS: the OS is logging out or shutting down; finish cleanly first. Electron
  // passes an event whose preventDefault delays the shutdown, though its typings omit it.
  const onShutdown = (event: Electron.Event) => {
    event.preventDefault();
    void shutdown().then(() => app.quit());
  };
  powerMonitor.on('shutdown', onShutdown as unknown as () => void);
  let online = net.isOnline();
  setInterval(() => {
    const now = net.isOnline();
    if (now && !online) nudge();
    online = now;
  }, NETWORK_CHECK_MS).unref();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  app.on('second-instance', showWindow);
  // A tray app: closing the window does not quit.
  app.on('window-all-closed', () => {});
  app.on('before-quit', (event) => {
    if (session === null && embedded === null && tray === null) return;
    event.preventDefault();
    void shutdown().then(() => app.quit());
  });
  void app.whenReady().then(async () => {
    serveRenderer(join(appRoot, 'dist', 'renderer'));
    serveBridgeOverIpc(() => session?.bridge ?? null, () => window?.webContents ?? null);
    tray = new TrayIcon(resourcesDir, onTrayCommand, (drivePath) => {
      void session?.bridge.call('openPath', { path: drivePath }).catch(reportFailure);
    });
    tray.show(trayStatus);
    watchSystem();
    try {
      await openSession();
    } catch (error) {
      log(`could not start syncing: ${error instanceof Error ? error.message : String(error)}`);
      trayStatus = { ...trayStatus, state: 'error', detail: error instanceof Error ? error.message : String(error) };
      tray.show(trayStatus);
      showWindow();
    }
  });
}
