import { SyncError } from '../errors.js';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';

const SYSCTL_FILE = '/etc/sysctl.d/60-netdisk-sync.conf';

/**
 * Turns a watcher failure into a SyncError. Running out of inotify watches
 * (ENOSPC, which is not about disk space here) or instances (EMFILE) gets a
 * 'watch_limit' error that tells the user how to raise the limit.
 */
export function translateWatchError(error: unknown, root: string): SyncError {
  switch (errnoCode(error)) {
    case 'ENOSPC':
      return limitError(root, 'fs.inotify.max_user_watches', 524288, error);
    case 'EMFILE':
      return limitError(root, 'fs.inotify.max_user_instances', 1024, error);
    default:
      return syncErrorFromFs(error, root);
  }
}

function limitError(root: string, key: string, value: number, cause: unknown): SyncError {
  return new SyncError(
    'watch_limit',
    `The system ran out of inotify file watches (${key}) while watching ${root}, so changes are not seen. ` +
      `Raise the limit with \`sudo sysctl ${key}=${value}\`, and keep it after a reboot with ` +
      `\`echo ${key}=${value} | sudo tee ${SYSCTL_FILE}\`.`,
    { path: root, cause, retryable: false },
  );
}
