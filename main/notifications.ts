import type { BridgeEvent } from '../protocol/bridge.js';

export interface DesktopNotification {
  title: string;
  body: string;
  /** Same key, same situation: shown once until `forget`. */
  key: string;
}

/**
 * Issues the person must act on (the engine retries everything else by
 * itself, so a notification would only be noise).
 */
const ISSUES_NEEDING_THE_USER = new Set(['disk_full', 'io_error', 'service_full', 'permission_denied', 'watch_limit', 'inotify_limit', 'sync_root_missing', 'account_mismatch', 'keychain_unavailable']);

function baseName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? path;
}

/** The desktop notification an engine or bridge event deserves, if any. */
export function notificationFor(event: BridgeEvent): DesktopNotification | null {
  switch (event.type) {
    case 'activity':
      if (event.activity.action !== 'conflict') return null;
      return {
        key: `conflict:${event.activity.path}`,
        title: 'Kept both versions of a file',
        body: `${baseName(event.activity.path)} changed here and on the netdisk. Your version was saved as ${baseName(event.activity.otherPath ?? 'a conflicted copy')}.`,
      };
    case 'issue':
      if (!ISSUES_NEEDING_THE_USER.has(event.issue.code)) return null;
      return { key: `issue:${event.issue.code}`, title: 'Netdisk Sync needs your attention', body: event.issue.message };
    case 'massDelete':
      return {
        key: 'massDelete',
        title: 'Deletes held back',
        body: `${event.count} of ${event.total} files would be deleted ${event.side === 'local' ? 'on this computer' : 'on the netdisk'}. Open Netdisk Sync to confirm or restore them.`,
      };
    case 'session':
      if (event.session.state !== 'signed_out' || event.session.reason === null) return null;
      return { key: 'signedOut', title: 'Signed out of Netdisk Sync', body: `${event.session.reason.message}. Open Netdisk Sync to sign in again.` };
    default:
      return null;
  }
}

/** Shows each situation once until it clears, so a retried error does not notify every round. */
export class NotificationFilter {
  private readonly shown = new Set<string>();

  next(event: BridgeEvent): DesktopNotification | null {
    if (event.type === 'massDeleteCleared') this.shown.delete('massDelete');
    if (event.type === 'session' && event.session.state === 'signed_in') this.shown.delete('signedOut');
    if (event.type === 'state' && event.state === 'idle') {
      for (const key of [...this.shown]) if (key.startsWith('issue:')) this.shown.delete(key);
    }
    const notification = notificationFor(event);
    if (notification === null || this.shown.has(notification.key)) return null;
    this.shown.add(notification.key);
    return notification;
  }
}
