import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { checkPath } from '../../protocol/paths.js';
import { CASE_PROBE_PREFIX } from './ignore.js';
import { nodeLocalFs, type LocalFs } from './localFs.js';

const WINDOWS_RESERVED_CHARS = /[<>:"\\|?*]/;
const WINDOWS_DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Longest whole path each platform's file APIs take: Windows counts UTF-16
 * units (long paths, as Node passes them), macOS and Linux count bytes of
 * PATH_MAX less the terminating NUL.
 */
const LOCAL_PATH_LIMIT: Partial<Record<NodeJS.Platform, { max: number; unit: 'utf16' | 'bytes' }>> = {
  win32: { max: 32_767, unit: 'utf16' },
  darwin: { max: 1_023, unit: 'bytes' },
};
const POSIX_PATH_LIMIT = { max: 4_095, unit: 'bytes' } as const;

/** Why `absPath` is too long for this platform's file APIs, or null when it fits. */
export function localPathTooLong(absPath: string, platform: NodeJS.Platform = process.platform): string | null {
  const limit = LOCAL_PATH_LIMIT[platform] ?? POSIX_PATH_LIMIT;
  const length = limit.unit === 'utf16' ? absPath.length : Buffer.byteLength(absPath, 'utf8');
  return length > limit.max ? `the path on this computer would be ${length} ${limit.unit === 'utf16' ? 'characters' : 'bytes'} long, over its limit of ${limit.max}` : null;
}

/**
 * Why `name` cannot be synced from or to this platform, or null when it can.
 * The drive's own rules (protocol/paths) apply everywhere; Windows adds its
 * reserved characters and device names and refuses a trailing dot or space.
 */
export function invalidNameReason(name: string, platform: NodeJS.Platform = process.platform): string | null {
  // Not a string any file system can store: UTF-8 (POSIX) and UTF-16 (Windows) names both need whole code points.
  if (LONE_SURROGATE.test(name)) return 'name is not valid Unicode (a lone UTF-16 surrogate)';
  const checked = checkPath(`/${name}`);
  if (!checked.ok) return checked.reason;
  if (name.includes('/')) return 'name contains "/"';
  if (platform === 'win32') {
    if (WINDOWS_RESERVED_CHARS.test(name)) return 'name contains a character Windows reserves (<>:"\\|?*)';
    if (WINDOWS_DEVICE_NAMES.test(name)) return 'name is a Windows device name';
    if (/[. ]$/.test(name)) return 'name ends with a dot or a space';
  }
  return null;
}

/**
 * Groups of names in one folder that would become the same entry: names equal
 * after NFC normalization always clash (the drive stores NFC), and names that
 * differ only by case clash on a case-insensitive file system. Each group is
 * ordered so that the name to keep comes first: one already in NFC, then by
 * code units, so the choice is the same on every scan.
 */
export function findNameClashes(names: readonly string[], caseInsensitive: boolean): string[][] {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const nfc = name.normalize('NFC');
    const key = caseInsensitive ? nfc.toLowerCase() : nfc;
    const group = groups.get(key);
    if (group) group.push(name);
    else groups.set(key, [name]);
  }
  return [...groups.values()].filter((g) => g.length > 1).map((g) => g.sort(preferNfcThenCodeUnits));
}

function preferNfcThenCodeUnits(a: string, b: string): number {
  const aNfc = a === a.normalize('NFC');
  const bNfc = b === b.normalize('NFC');
  if (aNfc !== bNfc) return aNfc ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What a case probe found, and whether a probe file is still in the folder. */
export interface CaseProbe {
  caseInsensitive: boolean;
  /** A probe (this one, or one an earlier process left) could not be removed: see removeCaseProbes. */
  leftBehind: boolean;
}

/**
 * Whether the file system holding `dir` folds case, found by creating a
 * lower-case probe file and looking it up in upper case. When the folder is
 * read-only the platform's usual default is assumed. Probes left by a
 * process that died mid-probe are removed first: ignored by the sync, they
 * would otherwise stay in the user's folder for ever (found by the
 * simulation, test/sim: a crash between the probe's create and remove). A
 * removal that fails (an I/O error) does not fail the probe; it is reported
 * as `leftBehind`, for the caller to try again later.
 */
export async function probeCaseInsensitive(dir: string, fs: LocalFs = nodeLocalFs): Promise<CaseProbe> {
  const earlierLeft = !(await removeCaseProbes(dir, fs));
  const name = `${CASE_PROBE_PREFIX}${randomBytes(6).toString('hex')}`;
  const probe = join(dir, name);
  try {
    await fs.writeFile(probe, '', { flag: 'wx' });
  } catch {
    return { caseInsensitive: process.platform === 'darwin' || process.platform === 'win32', leftBehind: earlierLeft };
  }
  let caseInsensitive: boolean;
  try {
    const [lower, upper] = await Promise.all([fs.lstat(probe), fs.lstat(join(dir, name.toUpperCase())).catch(() => null)]);
    caseInsensitive = upper !== null && upper.ino === lower.ino && upper.dev === lower.dev;
  } catch (error) {
    await fs.rm(probe, { force: true }).catch(() => {});
    throw error;
  }
  const left = await fs.rm(probe, { force: true }).then(() => false, () => true);
  return { caseInsensitive, leftBehind: earlierLeft || left };
}

/** Removes the case probes in `dir`; true when none is left (or the folder cannot be listed: nothing known to remove). */
export async function removeCaseProbes(dir: string, fs: LocalFs = nodeLocalFs): Promise<boolean> {
  const probes = await fs.readdir(dir).then((names) => names.filter((n) => n.startsWith(CASE_PROBE_PREFIX)), () => []);
  let removed = true;
  for (const probe of probes) {
    await fs.rm(join(dir, probe), { force: true }).catch(() => {
      removed = false;
    });
  }
  return removed;
}
