import type { BridgeEvent } from '../protocol/bridge.js';
import type { Activity, EngineState } from '../protocol/engine.js';

/** What the tray shows, reduced to the states a person tells apart. */
export type TrayIconName = 'idle' | 'syncing' | 'paused' | 'offline' | 'error' | 'signed_out';
export const TRAY_ICON_NAMES: readonly TrayIconName[] = ['idle', 'syncing', 'paused', 'offline', 'error', 'signed_out'];

export interface TrayStatus {
  state: EngineState;
  /** The engine's own words for the state, e.g. the error. */
  detail?: string;
  /** Files being or waiting to be transferred. */
  pendingFiles: number;
  recent: readonly Activity[];
  /** False until the first sign-in; the folder cannot be opened before it is chosen. */
  hasFolder: boolean;
}

export type TrayCommand = 'pause' | 'resume' | 'openFolder' | 'openWindow' | 'quit';

export type TrayMenuItem =
  | { kind: 'status'; label: string }
  | { kind: 'separator' }
  | { kind: 'command'; command: TrayCommand; label: string; enabled: boolean }
  | { kind: 'submenu'; label: string; items: { label: string; path: string }[] };

export interface TrayModel {
  icon: TrayIconName;
  tooltip: string;
  menu: TrayMenuItem[];
}

const PRODUCT = 'Netdisk Sync';
const RECENT_IN_MENU = 5;

export function trayIconFor(state: EngineState): TrayIconName {
  switch (state) {
    case 'scanning':
    case 'syncing':
      return 'syncing';
    case 'idle':
    case 'paused':
    case 'offline':
    case 'error':
    case 'signed_out':
      return state;
  }
}

export function statusLine(status: TrayStatus): string {
  switch (status.state) {
    case 'idle':
      return 'Up to date';
    case 'scanning':
      return 'Looking for changes…';
    case 'syncing':
      return status.pendingFiles > 0 ? `Syncing ${status.pendingFiles} ${status.pendingFiles === 1 ? 'file' : 'files'}…` : 'Syncing…';
    case 'paused':
      return 'Syncing paused';
    case 'offline':
      return 'Offline: waiting for the network';
    case 'error':
      return status.detail ? `Sync problem: ${status.detail}` : 'Sync problem: open Netdisk Sync for details';
    case 'signed_out':
      return 'Signed out: open Netdisk Sync to sign in';
  }
}

const ACTIVITY_VERBS: Record<Activity['action'], string> = {
  uploaded: 'Uploaded',
  downloaded: 'Downloaded',
  deleted_local: 'Deleted here',
  deleted_remote: 'Deleted on the netdisk',
  moved_local: 'Moved here',
  moved_remote: 'Moved on the netdisk',
  created_folder: 'New folder',
  conflict: 'Conflict',
};

function activityLabel(activity: Activity): string {
  const name = activity.path.split('/').filter(Boolean).pop() ?? activity.path;
  return `${ACTIVITY_VERBS[activity.action]}: ${name}`;
}

/** The tray's whole look for one engine status: icon, tooltip and menu, newest activity first. */
export function trayModel(status: TrayStatus): TrayModel {
  const line = statusLine(status);
  const paused = status.state === 'paused';
  const signedOut = status.state === 'signed_out';
  const recent = [...status.recent].sort((a, b) => b.at - a.at).slice(0, RECENT_IN_MENU);
  const menu: TrayMenuItem[] = [
    { kind: 'status', label: line },
    { kind: 'separator' },
    paused
      ? { kind: 'command', command: 'resume', label: 'Resume syncing', enabled: true }
      : { kind: 'command', command: 'pause', label: 'Pause syncing', enabled: !signedOut },
    { kind: 'command', command: 'openFolder', label: 'Open sync folder', enabled: status.hasFolder },
    { kind: 'command', command: 'openWindow', label: 'Open Netdisk Sync', enabled: true },
  ];
  if (recent.length > 0) {
    menu.push({ kind: 'submenu', label: 'Recent activity', items: recent.map((activity) => ({ label: activityLabel(activity), path: activity.path })) });
  }
  menu.push({ kind: 'separator' }, { kind: 'command', command: 'quit', label: 'Quit Netdisk Sync', enabled: true });
  return { icon: trayIconFor(status.state), tooltip: `${PRODUCT}: ${line}`, menu };
}

/**
 * Which picture to load from build/tray: macOS gets template images (the OS
 * tints them for light and dark menu bars), Windows coloured ones, Linux a
 * dark glyph for light panels and a light glyph for dark ones.
 */
export function trayIconFile(icon: TrayIconName, platform: NodeJS.Platform, darkMenuBar: boolean): string {
  if (platform === 'darwin') return `tray/${icon}Template.png`;
  if (platform === 'win32') return `tray/${icon}-win.png`;
  return `tray/${icon}-${darkMenuBar ? 'dark' : 'light'}.png`;
}

const RECENT_KEPT = 20;

/** Folds one bridge event into the tray's status (the tray keeps no other state). */
export function nextTrayStatus(status: TrayStatus, event: BridgeEvent): TrayStatus {
  switch (event.type) {
    case 'state':
      // The engine idles while signed out; the session decides that case.
      if (status.state === 'signed_out' && event.state !== 'signed_out') return status;
      return { ...status, state: event.state, detail: event.detail };
    case 'session':
      if (event.session.state === 'signed_out') return { ...status, state: 'signed_out', detail: undefined, pendingFiles: 0 };
      return status.state === 'signed_out' ? { ...status, state: 'idle' } : status;
    case 'progress':
      return { ...status, pendingFiles: Math.max(0, event.progress.filesTotal - event.progress.filesDone) };
    case 'activity':
      return { ...status, recent: [event.activity, ...status.recent].slice(0, RECENT_KEPT) };
    default:
      return status;
  }
}
