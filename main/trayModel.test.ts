import { describe, expect, it } from 'vitest';
import { TRAY_ICON_NAMES, nextTrayStatus, trayIconFile, trayModel, type TrayMenuItem, type TrayStatus } from './trayModel.js';

const base: TrayStatus = { state: 'idle', pendingFiles: 0, recent: [], hasFolder: true };
const commands = (menu: TrayMenuItem[]) => menu.flatMap((item) => (item.kind === 'command' ? [`${item.command}:${item.enabled}`] : []));

describe('trayModel', () => {
  it('shows each engine state with its icon and tooltip', () => {
    expect(trayModel(base)).toMatchObject({ icon: 'idle', tooltip: 'Netdisk Sync: Up to date' });
    expect(trayModel({ ...base, state: 'syncing', pendingFiles: 3 })).toMatchObject({ icon: 'syncing', tooltip: 'Netdisk Sync: Syncing 3 files…' });
    expect(trayModel({ ...base, state: 'syncing', pendingFiles: 1 }).tooltip).toContain('Syncing 1 file…');
    expect(trayModel({ ...base, state: 'scanning' }).icon).toBe('syncing');
    expect(trayModel({ ...base, state: 'paused' })).toMatchObject({ icon: 'paused', tooltip: 'Netdisk Sync: Syncing paused' });
    expect(trayModel({ ...base, state: 'offline' }).icon).toBe('offline');
    expect(trayModel({ ...base, state: 'error', detail: 'disk full' }).tooltip).toBe('Netdisk Sync: Sync problem: disk full');
    expect(trayModel({ ...base, state: 'signed_out' }).icon).toBe('signed_out');
  });

  it('offers Pause while running and Resume while paused; the status line comes first', () => {
    const running = trayModel(base).menu;
    expect(running[0]).toEqual({ kind: 'status', label: 'Up to date' });
    expect(commands(running)).toEqual(['pause:true', 'openFolder:true', 'openWindow:true', 'quit:true']);
    expect(commands(trayModel({ ...base, state: 'paused' }).menu)).toEqual(['resume:true', 'openFolder:true', 'openWindow:true', 'quit:true']);
    expect(commands(trayModel({ ...base, state: 'signed_out', hasFolder: false }).menu)).toEqual(['pause:false', 'openFolder:false', 'openWindow:true', 'quit:true']);
  });

  it('lists the five newest activities by file name', () => {
    const recent = Array.from({ length: 7 }, (_, i) => ({ at: i, action: 'uploaded' as const, path: `/docs/file${i}.txt` }));
    recent.push({ at: 100, action: 'conflict', path: '/a/b/report.docx' });
    const submenu = trayModel({ ...base, recent }).menu.find((item) => item.kind === 'submenu');
    expect(submenu).toBeDefined();
    if (submenu?.kind !== 'submenu') return;
    expect(submenu.items.map((item) => item.label)).toEqual(['Conflict: report.docx', 'Uploaded: file6.txt', 'Uploaded: file5.txt', 'Uploaded: file4.txt', 'Uploaded: file3.txt']);
    expect(submenu.items[0]?.path).toBe('/a/b/report.docx');
    expect(trayModel(base).menu.some((item) => item.kind === 'submenu')).toBe(false);
  });
});

describe('trayIconFile', () => {
  it('picks template images on macOS, coloured ones on Windows, and by panel brightness on Linux', () => {
    expect(trayIconFile('syncing', 'darwin', true)).toBe('tray/syncingTemplate.png');
    expect(trayIconFile('error', 'win32', false)).toBe('tray/error-win.png');
    expect(trayIconFile('idle', 'linux', true)).toBe('tray/idle-dark.png');
    expect(trayIconFile('idle', 'linux', false)).toBe('tray/idle-light.png');
  });

  it('names only icons that exist in build/', async () => {
    const { existsSync } = await import('node:fs');
    for (const icon of TRAY_ICON_NAMES) {
      for (const [platform, dark] of [['darwin', false], ['win32', false], ['linux', true], ['linux', false]] as const) {
        const file = `build/${trayIconFile(icon, platform, dark)}`;
        expect(existsSync(file), file).toBe(true);
      }
    }
  });
});

describe('nextTrayStatus', () => {
  it('follows the engine state, the pending file count, activity and the session', () => {
    let status: TrayStatus = { ...base, state: 'signed_out' };
    status = nextTrayStatus(status, { type: 'state', state: 'idle' });
    expect(status.state).toBe('signed_out');
    status = nextTrayStatus(status, { type: 'session', session: { state: 'signed_in', username: 'ann', reason: null } });
    expect(status.state).toBe('idle');
    status = nextTrayStatus(status, { type: 'state', state: 'syncing' });
    status = nextTrayStatus(status, { type: 'progress', progress: { filesTotal: 10, filesDone: 4, bytesTotal: 1, bytesDone: 0, rate: 0, eta: null } });
    expect(trayModel(status).tooltip).toBe('Netdisk Sync: Syncing 6 files…');
    status = nextTrayStatus(status, { type: 'activity', activity: { at: 5, action: 'downloaded', path: '/x.txt' } });
    expect(status.recent).toHaveLength(1);
    status = nextTrayStatus(status, { type: 'state', state: 'error', detail: 'disk full' });
    expect(status.detail).toBe('disk full');
    status = nextTrayStatus(status, { type: 'state', state: 'idle' });
    expect(status.detail).toBeUndefined();
    status = nextTrayStatus(status, { type: 'session', session: { state: 'signed_out', username: 'ann', reason: null } });
    expect(trayModel(status).icon).toBe('signed_out');
  });
});
