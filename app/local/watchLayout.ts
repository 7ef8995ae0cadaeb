import { opendirSync, watch as watchFolder, type FSWatcher as FolderWatch, type Stats } from 'node:fs';
import { opendir } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { SyncError } from '../errors.js';
import { errnoCode } from '../fsErrors.js';
import { translateWatchError } from './watchErrors.js';

/**
 * Folders with more entries than this are not given to chokidar. chokidar 5
 * reads a folder (readdir + an lstat per entry) when it starts watching it
 * and again on every event in it (at most once a second plus a trailing
 * read): 0.9-1.7 s of CPU per edit in a folder of 100,000 files. Its first
 * walk reads every folder it is given at once, with no limit: over 100,000
 * files in folders of 100 that peaked at 339 MiB RSS and 6.9 s of CPU with a
 * threshold of 1,000, and 114 MiB and 1.8 s with this one (bench/README.md).
 */
export const DEFAULT_LARGE_FOLDER_ENTRIES = 50;

export type TreeEvent = 'add' | 'addDir' | 'change' | 'unlink' | 'unlinkDir';
const TREE_EVENTS: readonly TreeEvent[] = ['add', 'addDir', 'change', 'unlink', 'unlinkDir'];

/** What the layout tells the watcher. */
export interface LayoutSink {
  /** A chokidar event (for folders and symlinks: files are seen through `raw`). */
  event(event: TreeEvent, absPath: string): void;
  /** A folder's watch named a child that appeared or went away ('rename') or was written ('change'). */
  raw(folder: string, eventType: string, name: string): void;
  /** A subfolder of a large folder was just given a watch: look at it again once that watch is surely up. */
  newFolder(absPath: string): void;
  /** A folder chokidar watches grew past the threshold: lay the watches out again. */
  grown(): void;
  error(error: SyncError): void;
  /** The ignore rules, by absolute path. */
  isIgnored(absPath: string, isFolder: boolean): boolean;
}

/** A folder above the threshold: watched here with one plain fs.watch, its subfolders by a chokidar instance of their own. */
interface LargeFolder {
  watch: FolderWatch;
  /** Names of its subfolders, each a root of `tree`. */
  subfolders: Set<string>;
  tree: FSWatcher | undefined;
}

/** Entries in `folder`, counting no further than `max` (0 when it cannot be read: chokidar will report why). */
function countEntries(folder: string, max: number): number {
  try {
    const dir = opendirSync(folder, { bufferSize: 256 });
    try {
      let count = 0;
      while (count < max && dir.readSync() !== null) count++;
      return count;
    } finally {
      dir.closeSync();
    }
  } catch {
    return 0;
  }
}

const isGone = (error: unknown) => errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR';

/**
 * Which folder is watched how. Folders of up to `threshold` entries are
 * watched by chokidar (the user's choice of watcher), files `ignored`: each
 * folder's watch names the child that changed. A larger folder is `ignored`
 * by chokidar too and watched here with a plain non-recursive fs.watch whose
 * events take the same path, so an event in it costs the same whatever it
 * holds; its subfolders are given to a chokidar instance of their own, added
 * and dropped as they come and go. Each folder's size is counted once (a
 * bounded read), and again after `threshold` entries appeared in it: a
 * folder that grew past the threshold makes the watcher lay everything out
 * anew (`grown`).
 */
export class WatchLayout {
  private readonly trees = new Set<FSWatcher>();
  private readonly large = new Map<string, LargeFolder>();
  /** Folders chokidar watches, each with how many entries appeared in it since it was last counted. */
  private readonly small = new Map<string, number>();
  /** Watches being set up, which `start` waits for. */
  private readonly starting = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly threshold: number,
    private readonly sink: LayoutSink,
  ) {}

  /** Resolves once every folder is watched. */
  async start(): Promise<void> {
    this.track(this.newTree([this.root]).ready);
    while (this.starting.size > 0) await Promise.all(this.starting);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.large.values()) entry.watch.close();
    this.large.clear();
    this.small.clear();
    await Promise.all([...this.trees].map((tree) => tree.close()));
    this.trees.clear();
  }

  /** A path the watcher looked at once it settled (`stats` null: it is gone): keeps large folders' subfolder watches current. */
  settled(absPath: string, stats: Stats | null): void {
    if (this.closed) return;
    const isFolder = stats?.isDirectory() ?? false;
    if (!isFolder) this.forgetFolder(absPath);
    const folder = dirname(absPath);
    const parent = this.large.get(folder);
    if (!parent) return;
    const name = basename(absPath);
    if (!isFolder) {
      if (parent.subfolders.delete(name)) parent.tree?.unwatch(absPath);
    } else if (!parent.subfolders.has(name) && !this.sink.isIgnored(absPath, true)) {
      void this.addSubfolders(parent, folder, [name]);
      this.sink.newFolder(absPath);
    }
  }

  private track(setup: Promise<void>): void {
    const tracked: Promise<void> = setup.finally(() => this.starting.delete(tracked));
    this.starting.add(tracked);
  }

  private newTree(paths: string[]): { tree: FSWatcher; ready: Promise<void> } {
    const tree = watch(paths, {
      ignoreInitial: true,
      followSymlinks: false,
      // Our own stabilization replaces awaitWriteFinish; 'atomic' would hide
      // editor backup names (`x~`) that the scanner syncs: one set of rules only.
      awaitWriteFinish: false,
      atomic: false,
      // Files are left to their folder's watch: chokidar would give every
      // file an fs.watch of its own, which at 100,000 files costs about
      // 280 MiB of heap and half a minute to start (bench/README.md).
      ignored: (absPath: string, stats?: Stats) => this.ignoredByTree(absPath, stats),
    });
    this.trees.add(tree);
    for (const event of TREE_EVENTS) tree.on(event, (absPath: string) => this.sink.event(event, absPath));
    tree.on('raw', (eventType: string, name: string | null, details: unknown) => {
      const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (name && typeof watchedPath === 'string') this.folderEvent(watchedPath, eventType, name);
    });
    tree.on('error', (error: unknown) => this.sink.error(translateWatchError(error, this.root)));
    return { tree, ready: new Promise((resolve) => tree.once('ready', () => resolve())) };
  }

  private ignoredByTree(absPath: string, stats: Stats | undefined): boolean {
    if (stats?.isFile()) return true;
    const isFolder = stats?.isDirectory() ?? false;
    return this.sink.isIgnored(absPath, isFolder) || (isFolder && this.isLarge(absPath));
  }

  /** Counted once per folder; a large one is taken over on the spot. */
  private isLarge(folder: string): boolean {
    if (this.large.has(folder)) return true;
    if (this.small.has(folder) || this.closed) return false;
    if (countEntries(folder, this.threshold + 1) > this.threshold && this.takeOver(folder)) return true;
    this.small.set(folder, 0);
    return false;
  }

  /** Watches `folder` here; false if it cannot be (the error is reported, and chokidar gets to try). */
  private takeOver(folder: string): boolean {
    let folderWatch: FolderWatch;
    try {
      folderWatch = watchFolder(folder, (eventType, name) => {
        if (name) this.folderEvent(folder, eventType, name);
      });
    } catch (error) {
      this.sink.error(translateWatchError(error, folder));
      return false;
    }
    folderWatch.on('error', (error) => this.sink.error(translateWatchError(error, folder)));
    const entry: LargeFolder = { watch: folderWatch, subfolders: new Set(), tree: undefined };
    this.large.set(folder, entry);
    this.track(this.watchSubfolders(folder, entry));
    return true;
  }

  /** Gives the subfolders of a newly taken-over folder to chokidar (one streamed read: no array of every entry). */
  private async watchSubfolders(folder: string, entry: LargeFolder): Promise<void> {
    const names: string[] = [];
    try {
      for await (const dirent of await opendir(folder, { bufferSize: 256 })) {
        if (dirent.isDirectory()) names.push(dirent.name);
      }
    } catch (error) {
      if (!isGone(error)) this.sink.error(translateWatchError(error, folder));
      return;
    }
    if (this.large.get(folder) === entry) await this.addSubfolders(entry, folder, names);
  }

  private addSubfolders(entry: LargeFolder, folder: string, names: string[]): Promise<void> {
    const paths: string[] = [];
    for (const name of names) {
      const path = join(folder, name);
      if (entry.subfolders.has(name) || this.sink.isIgnored(path, true)) continue;
      entry.subfolders.add(name);
      paths.push(path);
    }
    if (paths.length === 0 || this.closed) return Promise.resolve();
    if (entry.tree) {
      entry.tree.add(paths);
      return Promise.resolve();
    }
    const { tree, ready } = this.newTree(paths);
    entry.tree = tree;
    return ready;
  }

  private folderEvent(folder: string, eventType: string, name: string): void {
    if (this.closed) return;
    this.sink.raw(folder, eventType, name);
    if (eventType !== 'rename') return;
    // Entries appearing in a folder chokidar watches: count it again every `threshold` of them.
    const appeared = this.small.get(folder);
    if (appeared === undefined) return;
    if (appeared + 1 < this.threshold) {
      this.small.set(folder, appeared + 1);
      return;
    }
    this.small.set(folder, 0);
    if (countEntries(folder, this.threshold + 1) > this.threshold) this.sink.grown();
  }

  /** `absPath` is no folder (any more): drops what is kept for it and, if it was one, for what was under it. */
  private forgetFolder(absPath: string): void {
    const entry = this.large.get(absPath);
    if (!this.small.delete(absPath) && !entry) return;
    const inside = absPath + sep;
    for (const folder of this.small.keys()) if (folder.startsWith(inside)) this.small.delete(folder);
    for (const [folder, large] of this.large) {
      if (folder !== absPath && !folder.startsWith(inside)) continue;
      this.large.delete(folder);
      large.watch.close();
      if (large.tree) {
        this.trees.delete(large.tree);
        void large.tree.close();
      }
    }
  }
}
