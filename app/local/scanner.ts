import { basename, dirname, join } from 'node:path';
import { joinPath, parentOf, ROOT } from '../../protocol/paths.js';
import { compareCodePoints } from '../base/codePointOrder.js';
import { SyncError } from '../errors.js';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';
import type { LocalNode } from '../model.js';
import type { PathRange } from '../db/stateStore.js';
import type { IgnoreRules } from './ignore.js';
import { nodeLocalFs, type LocalDirent, type LocalFs, type LocalStats } from './localFs.js';
import { findNameClashes, invalidNameReason, probeCaseInsensitive, removeCaseProbes } from './names.js';

export type ScanIssueCode = 'symlink' | 'invalid_name' | 'case_clash' | 'unreadable';

/** The observation of one file or folder from its lstat (no content hash yet). */
export function localNodeOf(drivePath: string, stats: LocalStats): LocalNode {
  const folder = stats.isDirectory();
  return {
    path: drivePath,
    kind: folder ? 'folder' : 'file',
    size: folder ? 0 : stats.size,
    contentHash: null,
    mtime: Math.floor(stats.mtimeMs),
    inode: `${stats.dev}:${stats.ino}`,
    ctime: stats.ctimeMs,
  };
}

/** Something on disk that is not synced and that the user should hear about. */
export interface ScanIssue {
  /** The entry's drive path (its on-disk name, NFC-normalized). */
  path: string;
  code: ScanIssueCode;
  message: string;
}

export interface ScanResult {
  /** Every synced file and folder below the root (the root itself is not an entry). */
  nodes: Map<string, LocalNode>;
  /**
   * Drive path -> path relative to the root as it is spelled on disk, only
   * where the two differ (a name, or an ancestor's, is not NFC on disk): the
   * usual all-NFC folder costs no second map of every path.
   */
  realPaths: Map<string, string>;
  /**
   * What was left out. Below an 'unreadable' folder the contents are unknown,
   * not absent: the engine must not read that as local deletions.
   */
  issues: ScanIssue[];
}

export interface ScannerOptions {
  rules: IgnoreRules;
  /** File-system calls in flight at once (workers draining the walk queue). */
  concurrency?: number;
  /** Whether the root's file system folds case; probed once when left out. */
  caseInsensitive?: boolean;
  /** Whose file-name rules apply (default: this process's platform); tests inject 'win32'. */
  platform?: NodeJS.Platform;
  /** The file system walked (default: node:fs). */
  fs?: LocalFs;
}

/**
 * What a listed folder holds (an empty folder, or one gone meanwhile, holds
 * nothing). A folder of more than LISTING_SLICE entries comes in slices of
 * about that many, each with the `range` of entry paths it covers, in order
 * (code point order of the drive paths, the state database's): together the
 * ranges cover the whole folder, so each slice is compared with its own
 * range of recorded entries.
 */
export interface FolderListing {
  path: string;
  nodes: LocalNode[];
  /** The stretch of the folder this slice covers; left out when the listing is the whole folder. */
  range?: PathRange;
}

/**
 * Entries stat-ed and handed over at a time. One folder of 100,000 files is
 * stat-ed and compared a slice at a time, with the event loop free between
 * slices, instead of holding 100,000 nodes at once and blocking the loop for
 * the seconds its stats take.
 */
export const LISTING_SLICE = 2048;

/** One path to look at again: its drive path and its spelling on disk relative to the root. */
export interface ScanTarget {
  path: string;
  realPath: string;
}

/**
 * Walks the sync root into the local tree: a stat walk (no hashing), bounded
 * concurrency, symlinks reported and never followed, names NFC-normalized.
 */
export class Scanner {
  private caseInsensitive: boolean | undefined;
  /** A case probe file could not be removed (an I/O error): each walk tries again until it is gone. */
  private caseProbeLeft = false;
  /** lstat calls made so far: what a watcher event costs, counted (tests prove an edit costs O(changed)). */
  statCalls = 0;
  private readonly fs: LocalFs;

  constructor(
    private readonly root: string,
    private readonly options: ScannerOptions,
  ) {
    this.caseInsensitive = options.caseInsensitive;
    this.fs = options.fs ?? nodeLocalFs;
  }

  async scan(signal?: AbortSignal): Promise<ScanResult> {
    return this.walk([{ kind: 'folder', drivePath: ROOT, realPath: '' }], signal);
  }

  /**
   * The same walk, handing each folder's entries to `onFolder` as soon as they
   * are stat-ed instead of gathering the whole tree: memory follows one slice
   * of a folder's entries (see LISTING_SLICE), not the folder count. A folder that cannot be listed is reported
   * as an 'unreadable' issue and not handed over (its contents are unknown).
   * The result's `nodes` stays empty.
   */
  async scanFolders(onFolder: (listing: FolderListing) => void, signal?: AbortSignal): Promise<ScanResult> {
    return this.walk([{ kind: 'folder', drivePath: ROOT, realPath: '' }], signal, onFolder);
  }

  /**
   * Looks at just these paths (and, for a folder, its subtree): what an
   * incremental round does with the watcher's events. A path that is gone
   * yields no node; the caller reads that as deleted. With `onFolder`, the
   * folders below the paths are handed over as scanFolders does, and only
   * the paths themselves are in the result's `nodes`.
   */
  async scanPaths(targets: readonly ScanTarget[], signal?: AbortSignal, onFolder?: (listing: FolderListing) => void): Promise<ScanResult> {
    return this.walk(targets.map((t) => ({ kind: 'path', drivePath: t.path, realPath: t.realPath })), signal, onFolder);
  }

  /** Whether something is at this on-disk path (relative to the root); one lstat, counted. */
  exists(realPath: string): boolean {
    this.statCalls++;
    try {
      this.fs.lstatSync(join(this.root, realPath));
      return true;
    } catch {
      return false;
    }
  }

  private async walk(start: WalkTask[], signal: AbortSignal | undefined, onFolder?: (listing: FolderListing) => void): Promise<ScanResult> {
    await this.requireRoot();
    const caseInsensitive = await this.probeCase();
    const platform = this.options.platform ?? process.platform;
    const walk = new Walk(this.fs, this.root, this.options.rules, caseInsensitive, platform, signal, () => this.statCalls++, onFolder);
    await walk.run(this.options.concurrency ?? 32, start);
    return walk.result;
  }

  /** Whether the root folds case: probed once, while a probe left behind is removed on every walk until it is gone. */
  private async probeCase(): Promise<boolean> {
    if (this.caseInsensitive === undefined) {
      const probe = await probeCaseInsensitive(this.root, this.fs);
      this.caseProbeLeft = probe.leftBehind;
      return (this.caseInsensitive = probe.caseInsensitive);
    }
    if (this.caseProbeLeft) this.caseProbeLeft = !(await removeCaseProbes(this.root, this.fs));
    return this.caseInsensitive;
  }

  private async requireRoot(): Promise<void> {
    let stats: LocalStats;
    try {
      stats = await this.fs.lstat(this.root);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new SyncError('sync_root_missing', `the sync folder ${this.root} is missing`, { path: this.root });
      throw syncErrorFromFs(error, this.root);
    }
    if (!stats.isDirectory()) throw new SyncError('sync_root_missing', `the sync folder ${this.root} is not a folder`, { path: this.root });
  }
}

/** A directory entry with its drive name (NFC). */
interface NamedDirent {
  dirent: LocalDirent;
  name: string;
}

type WalkTask =
  | { kind: 'folder'; drivePath: string; realPath: string }
  | { kind: 'path'; drivePath: string; realPath: string };

/** Taken tasks the walk queue may hold before it is compacted. */
const COMPACT_AFTER_TASKS = 4096;

/** What the walk knows of an entry's type before its lstat: a directory entry, or nothing yet. */
type EntryType = Pick<LocalDirent, 'isDirectory' | 'isSymbolicLink' | 'isFile'>;

/**
 * One scan: a queue of small tasks (list a folder and stat its entries, or
 * look at one path) drained by a fixed number of workers. Queued tasks are
 * plain objects, not pending promises, so 100k entries cost little memory
 * and no garbage-collector storm.
 */
class Walk {
  readonly result: ScanResult = { nodes: new Map(), realPaths: new Map(), issues: [] };
  private readonly tasks: WalkTask[] = [];
  private head = 0;
  private busy = 0;
  private readonly sleeping: (() => void)[] = [];
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly fs: LocalFs,
    private readonly root: string,
    private readonly rules: IgnoreRules,
    private readonly caseInsensitive: boolean,
    private readonly platform: NodeJS.Platform,
    private readonly signal: AbortSignal | undefined,
    private readonly countStat: () => void,
    /** Where listed folders go; without it, every node goes into `result.nodes`. */
    private readonly onFolder?: (listing: FolderListing) => void,
  ) {}

  async run(workers: number, start: readonly WalkTask[]): Promise<void> {
    for (const task of start) this.push(task);
    await Promise.all(Array.from({ length: Math.max(1, workers) }, () => this.worker()));
    if (this.failure) throw this.failure.error;
  }

  private async worker(): Promise<void> {
    for (;;) {
      if (this.failure) return;
      const task = this.take();
      if (!task) {
        if (this.busy === 0) return this.wakeAll();
        await new Promise<void>((resolve) => this.sleeping.push(resolve));
        continue;
      }
      this.busy++;
      try {
        if (this.signal?.aborted) throw new SyncError('aborted', 'the scan was cancelled', { cause: this.signal.reason });
        await this.perform(task);
      } catch (error) {
        this.failure = { error };
      } finally {
        this.busy--;
      }
      if (this.failure || (this.busy === 0 && this.head === this.tasks.length)) this.wakeAll();
    }
  }

  private async perform(task: WalkTask): Promise<void> {
    switch (task.kind) {
      case 'folder':
        return this.folder(task.drivePath, task.realPath);
      case 'path':
        return this.path(task.drivePath, task.realPath);
    }
  }

  private push(task: WalkTask): void {
    this.tasks.push(task);
    this.sleeping.pop()?.();
  }

  // A moving head instead of Array#shift, which is O(n) on a long queue.
  // The queue rarely runs dry during a walk (each folder refills it), so the
  // tasks already taken are cut off once they are half of it rather than
  // kept until the walk ends.
  private take(): WalkTask | undefined {
    if (this.head === this.tasks.length) return undefined;
    const task = this.tasks[this.head++];
    if (this.head === this.tasks.length) {
      this.tasks.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER_TASKS && this.head * 2 >= this.tasks.length) {
      this.tasks.splice(0, this.head);
      this.head = 0;
    }
    return task;
  }

  private wakeAll(): void {
    for (const wake of this.sleeping.splice(0)) wake();
  }

  /**
   * Lists a folder and stats its entries (synchronous stats: see `lstat`) a
   * slice at a time, queueing its subfolders. Names are checked for clashes
   * against the whole listing first.
   */
  private async folder(drivePath: string, realPath: string): Promise<void> {
    let entries: LocalDirent[];
    try {
      entries = await this.fs.readdirEntries(join(this.root, realPath));
    } catch (error) {
      // Gone since its parent was listed: it holds nothing now.
      if (errnoCode(error) === 'ENOENT') return this.listed({ path: drivePath, nodes: [] });
      this.issue(drivePath, 'unreadable', `cannot list ${drivePath}: ${(error as Error).message}`);
      return;
    }
    const skipped = this.skipClashes(drivePath, entries.map((e) => e.name));
    const named = entries.map((dirent) => ({ dirent, name: dirent.name.normalize('NFC') }));
    const stat = (slice: readonly NamedDirent[]): LocalNode[] => {
      const nodes: LocalNode[] = [];
      for (const { dirent, name } of slice) {
        if (skipped.has(dirent.name)) continue;
        const node = this.entry(joinPath(drivePath, name), realPath === '' ? dirent.name : `${realPath}/${dirent.name}`, dirent);
        if (node) nodes.push(node);
      }
      return nodes;
    };
    if (named.length <= LISTING_SLICE) return this.listed({ path: drivePath, nodes: stat(named) });
    // Sorted by drive name in code point order: the state database's order.
    const sorted = named.sort((a, b) => compareCodePoints(a.name, b.name));
    let after: string | undefined;
    for (let start = 0; start < sorted.length;) {
      if (start > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.signal?.aborted) throw new SyncError('aborted', 'the scan was cancelled', { cause: this.signal.reason });
      }
      // Two spellings of one drive name (NFC and NFD) stay in one slice: a range ends at a drive path, not between its spellings.
      let end = Math.min(start + LISTING_SLICE, sorted.length);
      while (end < sorted.length && sorted[end]!.name === sorted[end - 1]!.name) end++;
      const through = end < sorted.length ? joinPath(drivePath, sorted[end - 1]!.name) : undefined;
      const range: PathRange = { ...(after === undefined ? {} : { after }), ...(through === undefined ? {} : { through }) };
      this.listed({ path: drivePath, nodes: stat(sorted.slice(start, end)), range });
      after = through;
      start = end;
    }
  }

  private listed(listing: FolderListing): void {
    if (this.onFolder) this.onFolder(listing);
    else for (const node of listing.nodes) this.result.nodes.set(node.path, node);
  }

  /**
   * One path named by a watcher event: its lstat stands in for the directory
   * entry a folder listing would give. Names that may clash (not NFC on disk,
   * or a case-folding disk) are checked against their folder's listing.
   */
  private async path(drivePath: string, realPath: string): Promise<void> {
    const stats = this.lstat(drivePath, realPath);
    if (!stats) return;
    const name = basename(realPath);
    if (this.caseInsensitive || name !== name.normalize('NFC')) {
      const parentReal = dirname(realPath) === '.' ? '' : dirname(realPath);
      let names: string[];
      try {
        names = await this.fs.readdir(join(this.root, parentReal));
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return;
        throw syncErrorFromFs(error, join(this.root, parentReal));
      }
      if (this.skipClashes(parentOf(drivePath), names).has(name)) return;
    }
    const node = this.entry(drivePath, realPath, stats, stats);
    if (node) this.result.nodes.set(drivePath, node);
  }

  /**
   * The node for one entry (null when it is not synced: ignored, a link, not
   * a file or folder, a bad name, gone); a folder is queued to be listed.
   * `known`: the lstat already taken (a watcher's path); a listed entry is stat-ed here.
   */
  private entry(drivePath: string, realPath: string, dirent: EntryType, known?: LocalStats): LocalNode | null {
    const isFolder = dirent.isDirectory();
    if (this.rules.isIgnored(drivePath, isFolder)) return null;
    if (dirent.isSymbolicLink()) {
      this.issue(drivePath, 'symlink', `${drivePath} is a symbolic link; links are not followed or synced`);
      return null;
    }
    if (!isFolder && !dirent.isFile()) {
      this.issue(drivePath, 'unreadable', `${drivePath} is neither a file nor a folder`);
      return null;
    }
    const invalid = invalidNameReason(basename(realPath), this.platform);
    if (invalid) {
      this.issue(drivePath, 'invalid_name', `${drivePath} cannot be synced: ${invalid}`);
      return null;
    }
    const stats = known ?? this.lstat(drivePath, realPath);
    if (!stats) return null;
    if (realPath !== drivePath.slice(1)) this.result.realPaths.set(drivePath, realPath);
    if (isFolder) this.push({ kind: 'folder', drivePath, realPath });
    return localNodeOf(drivePath, stats);
  }

  /** The entry's lstat; null (reported unless simply gone) when it cannot be read. */
  private lstat(drivePath: string, realPath: string): LocalStats | null {
    this.countStat();
    try {
      // Synchronous on purpose: from the page cache lstatSync is 4-5x cheaper
      // than a promise round trip through the thread pool (bench:restart over
      // 100k files: 3.5 s of main-thread time in async lstat), and one entry's
      // call blocks the loop for microseconds.
      return this.fs.lstatSync(join(this.root, realPath));
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.issue(drivePath, 'unreadable', `cannot read ${drivePath}: ${(error as Error).message}`);
      return null;
    }
  }

  /**
   * Reports clashing names; returns those that cannot be kept because they map
   * to the same drive path as the preferred one. Names differing only by case
   * (on a case-insensitive disk) keep distinct drive paths and stay.
   */
  private skipClashes(parent: string, names: string[]): Set<string> {
    const skipped = new Set<string>();
    for (const [kept, ...others] of findNameClashes(names, this.caseInsensitive)) {
      for (const other of others) {
        const sameDrivePath = other.normalize('NFC') === kept?.normalize('NFC');
        if (sameDrivePath) skipped.add(other);
        this.issue(joinPath(parent, other.normalize('NFC')), 'case_clash', sameDrivePath
          ? `"${other}" and "${kept}" in ${parent} are the same name in different Unicode forms; only "${kept}" is synced`
          : `"${other}" and "${kept}" in ${parent} differ only by case, which this file system cannot keep apart`);
      }
    }
    return skipped;
  }

  private issue(path: string, code: ScanIssueCode, message: string): void {
    this.result.issues.push({ path, code, message });
  }
}
