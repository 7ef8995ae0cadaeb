import * as nativePath from 'node:path';
import { posix, win32, type PlatformPath } from 'node:path';
import { errnoCode } from '../fsErrors.js';
import { ROOT, checkPath, isSameOrBelow, nameOf, parentOf } from '../../protocol/paths.js';
import { SyncError } from '../errors.js';
import { nodeLocalFs, type LocalFs } from './localFs.js';
import { invalidNameReason, localPathTooLong } from './names.js';
import { localNodeOf } from './scanner.js';
import type { LocalNode, NodeKind } from '../model.js';
import { printablePath } from '../remote/refusedEntry.js';
import { syncErrorFromFs } from '../fsErrors.js';

/** Whose rules map drive paths to disk paths; tests inject another platform's to run its rules anywhere. */
export interface LocalPathRules {
  /** Whose file-name rules apply (default: this process's platform). */
  platform?: NodeJS.Platform;
  /** The path module that builds the paths on disk (default: node:path). */
  pathApi?: PlatformPath;
  /** The file system the paths are on (default: node:fs). */
  fs?: LocalFs;
}

/**
 * Maps drive paths to files under the sync root: the one chokepoint every
 * local change (mkdir, download placement, moves, trash, conflicted copies)
 * goes through. Drive paths come from the service, which is untrusted input,
 * so each mapping is proven to stay inside the root: the drive path must be
 * valid and every name one this computer can hold, and after the platform's
 * normalization the result must be exactly the root plus those names. With
 * Windows rules the proof is made with Win32 path semantics as well.
 *
 * A name stored NFD on disk keeps its on-disk spelling (the scanner reports
 * it); everything the engine creates itself is written under its NFC drive path.
 */
export class LocalPaths {
  private realPaths = new Map<string, string>();
  private readonly platform: NodeJS.Platform;
  private readonly pathApi: PlatformPath;
  /**
   * The path semantics the result must hold under: the one that builds it,
   * and Win32 whenever Windows rules apply; each with the root as it spells
   * it, ending in its separator.
   */
  private readonly proofs: { api: PlatformPath; rootPrefix: string }[];
  /** The file system every mapped path is on: the one local changes go through. */
  readonly fs: LocalFs;

  constructor(readonly root: string, rules: LocalPathRules = {}) {
    this.fs = rules.fs ?? nodeLocalFs;
    this.platform = rules.platform ?? process.platform;
    this.pathApi = rules.pathApi ?? nativePath;
    const ruleApi = this.platform === 'win32' ? win32 : posix;
    this.proofs = (ruleApi.sep === this.pathApi.sep ? [this.pathApi] : [this.pathApi, ruleApi]).map((api) => {
      const normalized = api.join(root);
      return { api, rootPrefix: normalized.endsWith(api.sep) ? normalized : normalized + api.sep };
    });
  }

  /**
   * Why the drive path cannot exist on this computer, or null when it can:
   * not a valid drive path, a name this platform cannot hold, or a path
   * longer than the platform allows once under the root.
   */
  unsyncableReason(drivePath: string): string | null {
    const checked = checkPath(drivePath);
    if (!checked.ok) return checked.reason;
    if (checked.path !== drivePath) return 'path is not NFC-normalized';
    if (drivePath === ROOT) return null;
    for (const name of drivePath.slice(1).split('/')) {
      const reason = this.nameReason(name);
      if (reason !== null) return reason;
    }
    return this.lengthReason(drivePath);
  }

  /**
   * `unsyncableReason` for an entry of a tree walked parents first, whose
   * paths all passed the drive's rules on receipt: its ancestors' names were
   * judged already, so only its own name and its whole length are new. A
   * round judges every remote path this way: checking each path's every name
   * again cost 1.4 s per round at 100,000 files.
   */
  ownReason(drivePath: string): string | null {
    if (drivePath === ROOT) return null;
    return this.nameReason(nameOf(drivePath)) ?? this.lengthReason(drivePath);
  }

  private nameReason(name: string): string | null {
    const reason = invalidNameReason(name, this.platform);
    return reason === null ? null : `"${printablePath(name)}": ${reason}`;
  }

  /** Both limits hold: the rules' platform's, and the one of the file system actually written to. */
  private lengthReason(drivePath: string): string | null {
    const abs = this.pathApi.join(this.root, drivePath);
    return localPathTooLong(abs, this.platform) ?? localPathTooLong(abs, process.platform);
  }

  setRealPaths(realPaths: Map<string, string>): void {
    this.realPaths = realPaths;
  }

  /**
   * The path on disk. One the last scan did not see (a download or a new
   * folder inside a folder stored NFD) gets the on-disk spelling of its
   * nearest scanned ancestor, so it lands in that folder, not beside it.
   */
  abs(drivePath: string): string {
    const reason = this.unsyncableReason(drivePath);
    if (reason !== null) {
      throw new SyncError('invalid_name', `${printablePath(drivePath)} can't be synced to this computer: ${reason}`,
        { path: drivePath, retryable: false });
    }
    return this.inside(drivePath, this.onDiskNames(drivePath));
  }

  /**
   * `abs`, for a path about to be created, replaced, moved or deleted: no
   * folder between the root and it may be a symbolic link (a Windows junction
   * counts as one), so a link inside the sync folder is never followed out of it.
   * A folder not there yet ends the walk: whatever creates it creates a real one.
   */
  async forChange(drivePath: string): Promise<string> {
    const names = this.onDiskNames(drivePath);
    const abs = this.abs(drivePath);
    let dir = this.root;
    for (const name of names.slice(0, -1)) {
      dir = this.pathApi.join(dir, name);
      let stats;
      try {
        stats = await this.fs.lstat(dir);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') break;
        throw syncErrorFromFs(error, dir);
      }
      if (stats.isSymbolicLink()) {
        throw new SyncError('outside_sync_root', `${drivePath} was left alone: ${dir} is a symbolic link, and the sync never goes through one`,
          { path: drivePath, retryable: false });
      }
      // A file in the way: the change itself fails on it, as it would without this walk.
      if (!stats.isDirectory()) break;
    }
    return abs;
  }

  /** The names below the root, as spelled on disk (see `abs`). */
  private onDiskNames(drivePath: string): string[] {
    if (drivePath === ROOT) return [];
    for (let path = drivePath; path !== ROOT; path = parentOf(path)) {
      const real = this.realPaths.get(path);
      if (real !== undefined) return [...real.split('/'), ...drivePath.slice(path.length + 1).split('/')].filter((name) => name !== '');
    }
    return drivePath.slice(1).split('/');
  }

  /**
   * Joins the names under the root and proves the result is exactly that: no
   * name was a separator, `..` or anything a normalization changes, so the
   * joined path is the root's own spelling, a separator and the names. (A
   * string comparison, where path.relative resolved both paths again: that
   * was ~10 % of what a 100,000-file sync allocated.)
   */
  private inside(drivePath: string, names: readonly string[]): string {
    let result: string | undefined;
    for (const { api, rootPrefix } of this.proofs) {
      const joined = api.join(this.root, ...names);
      const exact = names.every((name) => name !== '' && name !== '.' && name !== '..' && !name.includes(api.sep) && !name.includes('/'))
        && (names.length === 0 || joined === rootPrefix + names.join(api.sep));
      if (!exact) {
        throw new SyncError('outside_sync_root', `${printablePath(drivePath)} was refused: it does not map to a path inside ${this.root}`,
          { path: drivePath, retryable: false });
      }
      result ??= joined;
    }
    return result!;
  }

  /** After looking again at `roots` (each with its subtree): their spellings are the ones in `realPaths`. */
  rememberBelow(roots: readonly string[], realPaths: ReadonlyMap<string, string>): void {
    for (const root of roots) this.forget(root, 'folder');
    for (const [path, real] of realPaths) this.realPaths.set(path, real);
  }

  /** Forget spellings at a path the engine just moved or removed (and, for a folder, below it). */
  forget(drivePath: string, kind: NodeKind): void {
    this.realPaths.delete(drivePath);
    if (kind === 'file') return;
    for (const path of [...this.realPaths.keys()]) {
      if (isSameOrBelow(path, drivePath)) this.realPaths.delete(path);
    }
  }
}

/** What the path holds now (without a content hash), or null when nothing is there. */
export async function statLocal(fs: LocalFs, absPath: string, drivePath: string): Promise<LocalNode | null> {
  try {
    const stats = await fs.lstat(absPath);
    if (!stats.isFile() && !stats.isDirectory()) return null;
    return localNodeOf(drivePath, stats);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return null;
    throw syncErrorFromFs(error, absPath);
  }
}

/** The precondition check: the file is still exactly what a decision saw (hash aside). */
export function sameLocalState(now: LocalNode | null, expected: LocalNode | null): boolean {
  if (now === null || expected === null) return now === expected;
  if (now.kind !== expected.kind) return false;
  if (now.kind === 'folder') return true;
  return now.size === expected.size && now.mtime === expected.mtime && now.inode === expected.inode
    && (now.ctime === undefined || expected.ctime === undefined || now.ctime === expected.ctime);
}

/**
 * The node the sync just renamed or linked into place, with `contentHash` only
 * if it is still the version that was hashed (`hashed`, stat-ed before): a
 * rename or link keeps size, mtime and inode (only the status-change time
 * moves), so a difference is a user's write that landed after the check. Its
 * hash is then unknown (null) until the next observation hashes it: pairing
 * the new stat with the old hash would make every later look trust the old
 * hash, and the write would never be synced.
 */
export function placedNode(placed: LocalNode, hashed: LocalNode, contentHash: string | null): LocalNode {
  const same = placed.kind === hashed.kind && placed.size === hashed.size && placed.mtime === hashed.mtime && placed.inode === hashed.inode;
  return { ...placed, contentHash: placed.kind === 'file' && same ? contentHash : null };
}
