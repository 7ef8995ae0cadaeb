import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ROOT } from '../../protocol/paths.js';
import type { SyncError } from '../errors.js';
import { errnoCode } from '../fsErrors.js';
import { IGNORE_FILE_NAME, type IgnoreRules } from './ignore.js';
import { DEFAULT_LARGE_FOLDER_ENTRIES, WatchLayout, type TreeEvent } from './watchLayout.js';
import { translateWatchError } from './watchErrors.js';

/**
 * What happened to a path, judged when it settled: 'created' or 'changed' if
 * it exists, 'deleted' if not. A rename is a 'deleted' and a 'created'; the
 * planner pairs them by inode. 'ignore_rules_changed' (for /.netdiskignore)
 * means ignore decisions may differ everywhere: rescan, and restart the
 * watcher so newly included folders are watched.
 */
export type LocalChangeReason = 'created' | 'changed' | 'deleted' | 'ignore_rules_changed';

export interface LocalChange {
  path: string;
  /** The path relative to the root as spelled on disk (POSIX separators). */
  realPath: string;
  reason: LocalChangeReason;
}

export interface LocalWatcherOptions {
  rules: IgnoreRules;
  onChange: (change: LocalChange) => void;
  /**
   * Every raw event, before it settles: a round that starts meanwhile looks
   * at the path too, so both ends of a rename (an unlink and an add that
   * settle at different times) are seen together and pair up as a move.
   */
  onEvent?: (path: string, realPath: string) => void;
  onError: (error: SyncError) => void;
  /** Quiet time after a path's last event before it is looked at. */
  debounceMs?: number;
  /** Gap between the two equal size+mtime readings that say a file is no longer being written. */
  stabilityMs?: number;
  /** Folders with more entries are watched without chokidar (watchLayout.ts). */
  largeFolderEntries?: number;
}


interface Pending {
  firstEvent: TreeEvent;
  /** The latest event was an unlink: the path is counted in `pendingDeletes`. */
  deleting: boolean;
  timer: NodeJS.Timeout;
  /** Bumped on every event, so a settle that raced with a newer event is dropped. */
  generation: number;
  lastReading?: { size: number; mtimeMs: number };
}

/** What the engine needs of a watcher: a port, so the simulation can drive one that loses, repeats and reorders events. */
export interface FolderWatcher {
  /** Resolves once changes are being reported. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** Resolves once no deletion is still arriving, or after `maxMs`. */
  deletionsSettled(maxMs: number): Promise<void>;
}

/** Builds the watcher of a folder. */
export type WatchFolder = (root: string, options: LocalWatcherOptions) => FolderWatcher;

/** The production watcher: LocalWatcher (folders watched through chokidar, or a plain fs.watch for a large one). */
export const nodeWatch: WatchFolder = (root, options) => new LocalWatcher(root, options);

/**
 * Quiet time after a path's last event before it is looked at. Together with
 * the stability wait it is the floor of edit-to-upload latency (bench:latency;
 * 300 + 1000 ms made the median 1.35 s). Short waits are safe: a writer that
 * keeps writing keeps sending events, each restarting the debounce, and
 * hashing and uploads re-check size, mtime and inode and give up on a file
 * that moved on, so a too-early look costs a wasted hash, never wrong data.
 */
export const DEFAULT_DEBOUNCE_MS = 150;
/** When a new folder is looked at a second time (its watch is up by then). */
const NEW_FOLDER_LATE_LOOK_MS = 1000;
/** Time between the two size+mtime readings that must agree (catches writes that raised no event). */
export const DEFAULT_STABILITY_MS = 350;

/**
 * Watches the sync root and reports each path once it has settled: events
 * are debounced and coalesced per path, and a file is only reported when two
 * readings of its size and mtime `stabilityMs` apart agree. Folders are
 * watched, files are seen through their folder's watch; which folder is
 * watched how (chokidar, or a plain fs.watch for a large one) is the
 * WatchLayout's business. A new folder's report stands for its subtree:
 * files written into it before its watch was up are not reported one by one
 * (the engine walks the folder).
 */
export class LocalWatcher implements FolderWatcher {
  private readonly pending = new Map<string, Pending>();
  private readonly debounceMs: number;
  private readonly stabilityMs: number;
  /** The watch layout, and while it is being laid out anew the next one too (both report meanwhile). */
  private layouts: WatchLayout[] = [];
  private relayingOut = false;
  private closed = false;
  /** Paths whose latest event is an unlink and that have not settled yet. */
  private pendingDeletes = 0;

  constructor(
    private readonly root: string,
    private readonly options: LocalWatcherOptions,
  ) {
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.stabilityMs = options.stabilityMs ?? DEFAULT_STABILITY_MS;
  }

  /** Resolves once every folder is watched and changes are being reported. */
  async start(): Promise<void> {
    const layout = this.newLayout();
    this.layouts = [layout];
    await layout.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    this.pendingDeletes = 0;
    await Promise.all(this.layouts.map((layout) => layout.close()));
    this.layouts = [];
  }

  private newLayout(): WatchLayout {
    return new WatchLayout(this.root, this.options.largeFolderEntries ?? DEFAULT_LARGE_FOLDER_ENTRIES, {
      event: (event, absPath) => {
        this.observe(event, absPath);
        // chokidar reports a new folder before its watch on it is up; a file
        // written in between has no event of its own.
        if (event === 'addDir') this.lookAgainLater(absPath);
      },
      // A folder's fs.watch names the child that changed (Linux inotify, macOS
      // and Windows alike): that is how files are watched, one watch per folder.
      // 'rename' is an entry appearing or going away, 'change' a write.
      // Whether the name is a file or a folder is not known yet: the ignore rules are applied when it settles.
      raw: (folder, eventType, name) => {
        const absPath = join(folder, name);
        if (eventType === 'rename') this.observe('add', absPath, true, true);
        else this.observe('change', absPath, false, true);
      },
      newFolder: (absPath) => this.lookAgainLater(absPath),
      grown: () => void this.relayout(),
      error: (error) => this.options.onError(error),
      isIgnored: (absPath, isFolder) => this.ignored(absPath, isFolder),
    });
  }

  /** Reports a new folder once more a little later (the engine walks it again), to catch files written before its watch was up. */
  private lookAgainLater(absPath: string): void {
    const late = setTimeout(() => this.observe('addDir', absPath), NEW_FOLDER_LATE_LOOK_MS);
    late.unref();
  }

  /**
   * A folder outgrew chokidar: every watch is laid out anew (a walk over the
   * folders, once per folder that crosses the threshold). The new layout is
   * up before the old one closes, so no event falls between the two.
   */
  private async relayout(): Promise<void> {
    if (this.relayingOut || this.closed) return;
    this.relayingOut = true;
    try {
      const next = this.newLayout();
      this.layouts.push(next);
      await next.start();
      if (this.closed) return;
      const old = this.layouts.filter((layout) => layout !== next);
      this.layouts = [next];
      await Promise.all(old.map((layout) => layout.close()));
    } finally {
      this.relayingOut = false;
    }
  }

  /** Relative to the root with POSIX separators, as spelled on disk; null outside the root (or the root itself). */
  private realPath(absPath: string): string | null {
    const rel = relative(this.root, absPath);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
    return rel.split(sep).join('/');
  }

  private drivePath(absPath: string): string | null {
    const rel = this.realPath(absPath);
    return rel === null ? null : `/${rel.normalize('NFC')}`;
  }

  private ignored(absPath: string, isFolder: boolean): boolean {
    const path = this.drivePath(absPath);
    return path !== null && this.options.rules.isIgnored(path, isFolder);
  }

  /** `mayDelete`: the event may mean the path is gone (an unlink, or a folder watch's rename). */
  private observe(event: TreeEvent, absPath: string, mayDelete = event === 'unlink' || event === 'unlinkDir', kindUnknown = false): void {
    if (this.closed) return;
    const path = this.drivePath(absPath);
    if (path === null || (!kindUnknown && this.options.rules.isIgnored(path, event === 'addDir' || event === 'unlinkDir'))) return;
    this.options.onEvent?.(path, this.realPath(absPath)!);
    const deleting = mayDelete;
    if (deleting) this.pendingDeletes++;
    const entry = this.pending.get(path);
    if (entry) {
      if (entry.deleting) this.pendingDeletes--;
      entry.deleting = deleting;
      clearTimeout(entry.timer);
      entry.generation++;
      entry.timer = this.schedule(path, absPath, this.debounceMs);
    } else {
      this.pending.set(path, { firstEvent: event, deleting, generation: 0, timer: this.schedule(path, absPath, this.debounceMs) });
    }
  }

  /**
   * Resolves once no deletion is still arriving (every unlinked path has been
   * quiet for the debounce time), or after `maxMs`. A round that started in
   * the middle of an `rm -rf` would see only its first part, too few deletes
   * for the mass-delete guard, and carry them out.
   */
  async deletionsSettled(maxMs: number): Promise<void> {
    const end = Date.now() + maxMs;
    while (this.pendingDeletes > 0 && !this.closed && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, this.debounceMs));
    }
  }

  private forget(path: string, entry: Pending): void {
    if (entry.deleting) this.pendingDeletes--;
    this.pending.delete(path);
  }

  private schedule(path: string, absPath: string, ms: number): NodeJS.Timeout {
    return setTimeout(() => void this.settle(path, absPath), ms);
  }

  private async settle(path: string, absPath: string): Promise<void> {
    const entry = this.pending.get(path);
    if (!entry) return;
    const generation = entry.generation;
    let stats: Stats | null;
    try {
      stats = await lstat(absPath);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' && errnoCode(error) !== 'ENOTDIR') {
        if (this.closed || entry.generation !== generation) return;
        this.forget(path, entry);
        this.options.onError(translateWatchError(error, absPath));
        return;
      }
      stats = null;
    }
    if (this.closed || entry.generation !== generation) return;
    for (const layout of this.layouts) layout.settled(absPath, stats);
    if (stats?.isFile()) {
      const reading = { size: stats.size, mtimeMs: stats.mtimeMs };
      const last = entry.lastReading;
      entry.lastReading = reading;
      if (!last || last.size !== reading.size || last.mtimeMs !== reading.mtimeMs) {
        entry.timer = this.schedule(path, absPath, this.stabilityMs);
        return;
      }
    }
    // A symlink or special file is reported too: the path no longer holds what
    // was synced, and the engine, stat-ing it, turns it into a scan issue.
    this.forget(path, entry);
    if (stats && this.options.rules.isIgnored(path, stats.isDirectory())) return;
    let reason: LocalChangeReason;
    try {
      reason = await this.reasonFor(path, entry.firstEvent, stats);
    } catch (error) {
      this.options.onError(translateWatchError(error, absPath));
      return;
    }
    if (!this.closed) this.options.onChange({ path, realPath: this.realPath(absPath)!, reason });
  }

  private async reasonFor(path: string, firstEvent: TreeEvent, stats: Stats | null): Promise<LocalChangeReason> {
    if (path === `${ROOT}${IGNORE_FILE_NAME}` && (await this.options.rules.load())) return 'ignore_rules_changed';
    if (!stats) return 'deleted';
    return firstEvent === 'add' || firstEvent === 'addDir' ? 'created' : 'changed';
  }
}
