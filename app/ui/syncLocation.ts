import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { STATE_FILE_NAME } from '../clientAccount.js';
import { STATE_DIR_NAME } from '../local/ignore.js';

/** `~` and `~/…` as people type them; anything else must already be absolute. */
function expandHome(folder: string): string {
  if (folder === '~') return homedir();
  if (folder.startsWith('~/') || folder.startsWith(`~${sep}`)) return join(homedir(), folder.slice(2));
  return folder;
}

/** Whether `dir` or one of its parents is some sync's state folder (named so, or holding a state database). */
function insideStateDir(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    if (current.split(sep).pop() === STATE_DIR_NAME || existsSync(join(current, STATE_FILE_NAME))) return true;
    if (dirname(current) === current) return false;
  }
}

export type PreparedFolder =
  | { ok: true; folder: string }
  | { ok: false; code: 'invalid_request' | 'folder_in_state_dir' | 'folder_not_directory'; message: string };

/**
 * Checks a folder the page asks to sync and creates it when missing (the
 * default ~/Netdisk usually is): syncing a sync's own state, or a file, would
 * fail later in ways people cannot read, so it is refused here with a code.
 */
export async function prepareSyncFolder(requested: string): Promise<PreparedFolder> {
  const expanded = expandHome(requested.trim());
  if (!isAbsolute(expanded)) return { ok: false, code: 'invalid_request', message: `the sync folder must be a full path (like ~/Netdisk), got "${requested}"` };
  const folder = resolve(expanded);
  if (insideStateDir(folder)) {
    return { ok: false, code: 'folder_in_state_dir', message: `${folder} is inside the state folder of a sync (${STATE_DIR_NAME}); choose a folder outside it` };
  }
  const found = await stat(folder).catch(() => null);
  if (found && !found.isDirectory()) return { ok: false, code: 'folder_not_directory', message: `${folder} is a file, not a folder` };
  if (!found) await mkdir(folder, { recursive: true });
  return { ok: true, folder };
}
