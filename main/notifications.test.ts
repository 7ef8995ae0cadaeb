import { describe, expect, it } from 'vitest';
import { NotificationFilter, notificationFor } from './notifications.js';

describe('notificationFor', () => {
  it('announces conflicts with both names', () => {
    const note = notificationFor({ type: 'activity', activity: { at: 1, action: 'conflict', path: '/a/report.txt', otherPath: '/a/report (conflicted copy pc 2026-01-01 101010).txt' } });
    expect(note?.body).toContain('report.txt');
    expect(note?.body).toContain('conflicted copy pc');
  });

  it('announces the mass-delete guard and issues the user must fix, not routine ones', () => {
    expect(notificationFor({ type: 'massDelete', count: 120, side: 'local', total: 130 })?.body).toContain('120 of 130 files would be deleted on this computer');
    expect(notificationFor({ type: 'issue', issue: { code: 'disk_full', message: 'The disk is full' } })?.body).toBe('The disk is full');
    expect(notificationFor({ type: 'issue', issue: { code: 'io_error', message: 'The disk failed' } })?.body).toBe('The disk failed');
    expect(notificationFor({ type: 'issue', issue: { code: 'service_full', message: 'The netdisk is full' } })?.body).toBe('The netdisk is full');
    expect(notificationFor({ type: 'issue', issue: { code: 'symlink', message: 'skipped a symlink' } })).toBeNull();
    expect(notificationFor({ type: 'activity', activity: { at: 1, action: 'uploaded', path: '/a' } })).toBeNull();
    expect(notificationFor({ type: 'state', state: 'syncing' })).toBeNull();
  });

  it('announces a sign-out the service caused, not one the user asked for', () => {
    expect(notificationFor({ type: 'session', session: { state: 'signed_out', username: 'ann', reason: { code: 'revoked', message: 'This device was signed out' } } })?.title).toBe('Signed out of Netdisk Sync');
    expect(notificationFor({ type: 'session', session: { state: 'signed_out', username: 'ann', reason: null } })).toBeNull();
  });
});

describe('NotificationFilter', () => {
  it('shows a situation once until it clears', () => {
    const filter = new NotificationFilter();
    const disk = { type: 'issue', issue: { code: 'disk_full', message: 'full' } } as const;
    const hold = { type: 'massDelete', count: 60, side: 'remote', total: 70 } as const;
    expect(filter.next(disk)).not.toBeNull();
    expect(filter.next(disk)).toBeNull();
    expect(filter.next(hold)).not.toBeNull();
    expect(filter.next(hold)).toBeNull();
    filter.next({ type: 'state', state: 'idle' });
    expect(filter.next(disk)).not.toBeNull();
    expect(filter.next(hold)).toBeNull();
    filter.next({ type: 'massDeleteCleared' });
    expect(filter.next(hold)).not.toBeNull();
  });
});
