import { dirname, join } from 'node:path';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';
import { PARTIAL_DOWNLOAD_SUFFIX, STATE_DIR_NAME } from '../local/ignore.js';
import type { LocalFs } from '../local/localFs.js';

/**
 * Where downloads are written before they are placed: a hidden folder at the
 * sync root (ignored by the scanner and the watcher), whatever `--state`
 * says. The placing rename and the no-overwrite link only work within one
 * file system, and only the sync folder's own is sure to be that one.
 */
export function partialDirOf(root: string): string {
  return join(root, STATE_DIR_NAME, 'partial');
}

/**
 * Creates the partial folder (and its hidden parent) inside the existing sync
 * root, never the root itself: were the root unmounted or deleted meanwhile,
 * a recursive mkdir would quietly make an empty one in its place.
 */
export async function ensurePartialDir(fs: LocalFs, partialDir: string): Promise<void> {
  for (const dir of [dirname(partialDir), partialDir]) {
    try {
      await fs.mkdir(dir, { mode: 0o700 });
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw syncErrorFromFs(error, dir);
    }
  }
}

/** The partial file of one download job. */
export function partialFileOf(partialDir: string, jobId: number): string {
  return join(partialDir, `${jobId}${PARTIAL_DOWNLOAD_SUFFIX}`);
}

const PARTIAL_NAME = new RegExp(`^(\\d+)${PARTIAL_DOWNLOAD_SUFFIX.replace(/[.]/g, '\\.')}$`);

/**
 * Deletes the partial files no queued job owns any more (the job was dropped,
 * or finished while a crash left its file behind), so their bytes do not
 * stay on the user's disk for ever. Anything else in the folder (a version
 * set aside during a replace) is left for the user.
 */
export async function removeOrphanPartials(fs: LocalFs, partialDir: string, liveJobIds: { has(jobId: number): boolean }): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(partialDir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw syncErrorFromFs(error, partialDir);
  }
  for (const name of names) {
    const id = PARTIAL_NAME.exec(name)?.[1];
    if (id !== undefined && !liveJobIds.has(Number(id))) await fs.rm(join(partialDir, name), { force: true });
  }
}
