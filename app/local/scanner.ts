import { lstatSync, type Dirent, type Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { joinPath, ROOT } from '../../protocol/paths.js';
import { SyncError } from '../errors.js';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';
import type { LocalNode } from '../model.js';
import type { IgnoreRules } from './ignore.js';
import { findNameClashes, invalidNameReason, probeCaseInsensitive } from './names.js';

export type ScanIssueCode = 'symlink' | 'invalid_name' | 'case_clash' | 'unreadable';

/** The observation of one file or folder from its lstat (no content hash yet). */
export function localNodeOf(drivePath: string, stats: Stats): LocalNode {
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
  /** Drive path -> path relative to the root as it is spelled on disk (it differs when a name is not NFC there). */
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
}

/**
 * Walks the sync root into the local tree: a stat walk (no hashing), bounded
 * concurrency, symlinks reported and never followed, names NFC-normalized.
 */
export class Scanner {
  private caseInsensitive: boolean | undefined;

  constructor(
    private readonly root: string,
    private readonly options: ScannerOptions,
  ) {
    this.caseInsensitive = options.caseInsensitive;
  }

  async scan(signal?: AbortSignal): Promise<ScanResult> {
    await this.requireRoot();
    this.caseInsensitive ??= await probeCaseInsensitive(this.root);
    const walk = new Walk(this.root, this.options.rules, this.caseInsensitive, this.options.platform ?? process.platform, signal);
    await walk.run(this.options.concurrency ?? 32);
    return walk.result;
  }

  private async requireRoot(): Promise<void> {
    let stats: Stats;
    try {
      stats = await lstat(this.root);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new SyncError('sync_root_missing', `the sync folder ${this.root} is missing`, { path: this.root });
      throw syncErrorFromFs(error, this.root);
    }
    if (!stats.isDirectory()) throw new SyncError('sync_root_missing', `the sync folder ${this.root} is not a folder`, { path: this.root });
  }
}

type WalkTask =
  | { kind: 'folder'; drivePath: string; realPath: string }
  | { kind: 'entry'; parent: string; parentReal: string; dirent: Dirent };

/**
 * One scan: a queue of small tasks (list a folder, stat an entry) drained by a
 * fixed number of workers. Queued tasks are plain objects, not pending
 * promises, so 100k entries cost little memory and no garbage-collector storm.
 */
class Walk {
  readonly result: ScanResult = { nodes: new Map(), realPaths: new Map(), issues: [] };
  private readonly tasks: WalkTask[] = [];
  private head = 0;
  private busy = 0;
  private readonly sleeping: (() => void)[] = [];
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly root: string,
    private readonly rules: IgnoreRules,
    private readonly caseInsensitive: boolean,
    private readonly platform: NodeJS.Platform,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async run(workers: number): Promise<void> {
    this.push({ kind: 'folder', drivePath: ROOT, realPath: '' });
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
        await (task.kind === 'folder' ? this.folder(task.drivePath, task.realPath) : this.entry(task.parent, task.parentReal, task.dirent));
      } catch (error) {
        this.failure = { error };
      } finally {
        this.busy--;
      }
      if (this.failure || (this.busy === 0 && this.head === this.tasks.length)) this.wakeAll();
    }
  }

  private push(task: WalkTask): void {
    this.tasks.push(task);
    this.sleeping.pop()?.();
  }

  // A moving head instead of Array#shift, which is O(n) on a long queue.
  private take(): WalkTask | undefined {
    if (this.head === this.tasks.length) return undefined;
    const task = this.tasks[this.head++];
    if (this.head === this.tasks.length) {
      this.tasks.length = 0;
      this.head = 0;
    }
    return task;
  }

  private wakeAll(): void {
    for (const wake of this.sleeping.splice(0)) wake();
  }

  private async folder(drivePath: string, realPath: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, realPath), { withFileTypes: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      this.issue(drivePath, 'unreadable', `cannot list ${drivePath}: ${(error as Error).message}`);
      return;
    }
    const skipped = this.skipClashes(drivePath, entries.map((e) => e.name));
    for (const dirent of entries) {
      if (!skipped.has(dirent.name)) this.push({ kind: 'entry', parent: drivePath, parentReal: realPath, dirent });
    }
  }

  private async entry(parent: string, parentReal: string, dirent: Dirent): Promise<void> {
    const drivePath = joinPath(parent, dirent.name.normalize('NFC'));
    const realPath = parentReal === '' ? dirent.name : `${parentReal}/${dirent.name}`;
    const isFolder = dirent.isDirectory();
    if (this.rules.isIgnored(drivePath, isFolder)) return;
    if (dirent.isSymbolicLink()) {
      this.issue(drivePath, 'symlink', `${drivePath} is a symbolic link; links are not followed or synced`);
      return;
    }
    if (!isFolder && !dirent.isFile()) {
      this.issue(drivePath, 'unreadable', `${drivePath} is neither a file nor a folder`);
      return;
    }
    const invalid = invalidNameReason(dirent.name, this.platform);
    if (invalid) {
      this.issue(drivePath, 'invalid_name', `${drivePath} cannot be synced: ${invalid}`);
      return;
    }
    let stats: Stats;
    try {
      // Synchronous on purpose: from the page cache lstatSync is 4-5x cheaper
      // than a promise round trip through the thread pool (bench:restart over
      // 100k files: 3.5 s of main-thread time in async lstat), and one entry's
      // call blocks the loop for microseconds.
      stats = lstatSync(join(this.root, realPath));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') this.issue(drivePath, 'unreadable', `cannot read ${drivePath}: ${(error as Error).message}`);
      return;
    }
    this.result.nodes.set(drivePath, localNodeOf(drivePath, stats));
    this.result.realPaths.set(drivePath, realPath);
    if (isFolder) this.push({ kind: 'folder', drivePath, realPath });
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
