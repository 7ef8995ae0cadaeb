import fs from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SyncError } from '../errors.js';
import { IgnoreRules } from './ignore.js';
import { translateWatchError } from './watchErrors.js';
import { LocalWatcher, type LocalChange } from './watcher.js';

let root: string;
let watcher: LocalWatcher;
let changes: LocalChange[];
let errors: SyncError[];
let waiters: { test: (c: LocalChange) => boolean; resolve: () => void }[];

async function startWatcher(debounceMs = 60, stabilityMs = 120, largeFolderEntries?: number): Promise<void> {
  const rules = new IgnoreRules(root);
  await rules.load();
  watcher = new LocalWatcher(root, {
    rules,
    debounceMs,
    stabilityMs,
    onChange: (change) => {
      changes.push(change);
      waiters = waiters.filter((w) => (w.test(change) ? (w.resolve(), false) : true));
    },
    onError: (error) => errors.push(error),
    ...(largeFolderEntries === undefined ? {} : { largeFolderEntries }),
  });
  await watcher.start();
}

/** Resolves when a change for `path` (and `reason`, if given) has been reported. */
function changeOf(path: string, reason?: LocalChange['reason']): Promise<void> {
  const test = (c: LocalChange) => c.path === path && (reason === undefined || c.reason === reason);
  if (changes.some(test)) return Promise.resolve();
  return new Promise((resolve) => waiters.push({ test, resolve }));
}

/** A marker written after the action under test: once it is reported, the earlier events have been too. */
async function flush(): Promise<void> {
  const name = `marker-${changes.length}-${Math.random().toString(36).slice(2)}`;
  await writeFile(join(root, name), 'm');
  await changeOf(`/${name}`);
}

const of = (path: string) => changes.filter((c) => c.path === path).map((c) => c.reason);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'watcher-'));
  changes = [];
  errors = [];
  waiters = [];
});

afterEach(async () => {
  await watcher.close();
  await rm(root, { recursive: true, force: true });
});

describe('LocalWatcher', () => {
  it('reports create, change and delete of files and folders', async () => {
    await writeFile(join(root, 'existing.txt'), 'old');
    await startWatcher();
    await mkdir(join(root, 'dir'));
    await writeFile(join(root, '..dots~'), 'a name that only looks like it leaves the root');
    // A new folder's report stands for its subtree (the engine walks it): files
    // written before its watch was up need no report of their own.
    await changeOf('/dir', 'created');
    await writeFile(join(root, 'dir/new.txt'), 'new');
    await changeOf('/dir/new.txt', 'created');
    await changeOf('/..dots~', 'created');
    await appendFile(join(root, 'existing.txt'), ' more');
    await changeOf('/existing.txt', 'changed');
    await unlink(join(root, 'dir/new.txt'));
    await changeOf('/dir/new.txt', 'deleted');
    await flush();
    expect(of('/existing.txt')).toEqual(['changed']);
    expect(of('/dir/new.txt')).toEqual(['created', 'deleted']);
    expect(errors).toEqual([]);
  });

  it('reports a symlink as a path to look at, without following it', async () => {
    await mkdir(join(root, 'target'));
    await startWatcher();
    await symlink(join(root, 'target'), join(root, 'link'));
    await changeOf('/link', 'created');
    await writeFile(join(root, 'target/inside.txt'), 'x');
    await changeOf('/target/inside.txt', 'created');
    await flush();
    expect(changes.filter((c) => c.path.startsWith('/link/'))).toEqual([]);
  });

  it('reports a rename as the old path deleted and the new one created', async () => {
    await writeFile(join(root, 'before.txt'), 'x');
    await startWatcher();
    await rename(join(root, 'before.txt'), join(root, 'after.txt'));
    await Promise.all([changeOf('/before.txt', 'deleted'), changeOf('/after.txt', 'created')]);
  });

  it('coalesces a burst of writes to one path into one event', async () => {
    await startWatcher();
    const file = join(root, 'burst.log');
    await writeFile(file, '');
    for (let i = 0; i < 20; i++) await appendFile(file, `line ${i}\n`);
    await changeOf('/burst.log');
    await flush();
    expect(of('/burst.log')).toEqual(['created']);
  });

  it('holds back a file that is still being written until it settles', async () => {
    // Writes come further apart than the debounce, so only the stability check can hold the file back.
    await startWatcher(30, 400);
    const file = join(root, 'growing.bin');
    let writing = true;
    const reportedWhileWriting: boolean[] = [];
    void changeOf('/growing.bin').then(() => reportedWhileWriting.push(writing));
    await writeFile(file, 'start');
    for (let i = 0; i < 15; i++) {
      await sleep(100);
      await appendFile(file, Buffer.alloc(4096, i));
    }
    writing = false;
    await changeOf('/growing.bin');
    expect(reportedWhileWriting).toEqual([false]);
    expect(of('/growing.bin')).toEqual(['created']);
  });

  it('ignores ignored files and reloads .netdiskignore when it changes', async () => {
    await writeFile(join(root, '.netdiskignore'), '*.log\n');
    await startWatcher();
    await writeFile(join(root, 'app.log'), 'x');
    await writeFile(join(root, 'scratch.tmp'), 'x');
    await mkdir(join(root, '.netdisk-sync'));
    await writeFile(join(root, '.netdisk-sync/state.db'), 'x');
    await flush();
    expect(changes.filter((c) => !c.path.startsWith('/marker-'))).toEqual([]);

    await writeFile(join(root, '.netdiskignore'), '*.bak\n');
    await changeOf('/.netdiskignore', 'ignore_rules_changed');
    await writeFile(join(root, 'app.log'), 'y');
    await writeFile(join(root, 'copy.bak'), 'y');
    await changeOf('/app.log'); // newly included: chokidar had not tracked it, so it is 'created'
    await flush();
    expect(of('/copy.bak')).toEqual([]);
  });
});

/** Writes `count` small files f0..f<count-1> into `folder`. */
async function fill(folder: string, count: number): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < count; i++) await writeFile(join(folder, `f${i}`), `file ${i}`);
}

/**
 * Counts the readdir, lstat and stat calls on entries of `folder` (and
 * readdirs of it) made through node:fs/promises, which is how chokidar and
 * readdirp read a folder again: patched on the shared module object, then
 * synced into the ES module bindings they imported.
 */
function countFolderReads(folder: string): { calls: () => number; reset: () => void; restore: () => void } {
  const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  let calls = 0;
  for (const name of ['readdir', 'lstat', 'stat']) {
    const original = promises[name]!;
    originals.set(name, original);
    promises[name] = (...args: unknown[]) => {
      const path = String(args[0]);
      if (path.startsWith(folder + sep) || (name === 'readdir' && path === folder)) calls++;
      return original.apply(fs.promises, args);
    };
  }
  syncBuiltinESMExports();
  return {
    calls: () => calls,
    reset: () => { calls = 0; },
    restore: () => {
      for (const [name, original] of originals) promises[name] = original;
      syncBuiltinESMExports();
    },
  };
}

describe('LocalWatcher in large folders', () => {
  it('watches a folder above the threshold itself: edits, adds, deletes, renames and subfolders in it', async () => {
    const big = join(root, 'big');
    await fill(big, 10);
    await fill(join(big, 'sub'), 1);
    await startWatcher(60, 120, 5);
    await appendFile(join(big, 'f1'), ' more');
    await writeFile(join(big, 'new.txt'), 'new');
    await unlink(join(big, 'f2'));
    await rename(join(big, 'f3'), join(big, 'f3-renamed'));
    await rename(join(big, 'f4'), join(root, 'moved-out'));
    await writeFile(join(big, 'sub/inner.txt'), 'inner');
    await Promise.all([
      changeOf('/big/f1', 'changed'), changeOf('/big/new.txt', 'created'), changeOf('/big/f2', 'deleted'),
      changeOf('/big/f3', 'deleted'), changeOf('/big/f3-renamed', 'created'),
      changeOf('/big/f4', 'deleted'), changeOf('/moved-out', 'created'), changeOf('/big/sub/inner.txt', 'created'),
    ]);

    // A new subfolder gets a watch of its own (and is reported again once it is up).
    await mkdir(join(big, 'newsub'));
    await vi.waitFor(() => expect(of('/big/newsub')).toEqual(['created', 'created']), { timeout: 10_000 });
    await writeFile(join(big, 'newsub/x.txt'), 'x');
    await changeOf('/big/newsub/x.txt', 'created');

    // A subfolder that goes away is unwatched; one that comes back is watched again.
    await rm(join(big, 'sub'), { recursive: true });
    await changeOf('/big/sub', 'deleted');
    await mkdir(join(big, 'sub'));
    await vi.waitFor(() => expect(of('/big/sub')).toEqual(['deleted', 'created', 'created']), { timeout: 10_000 });
    await writeFile(join(big, 'sub/again.txt'), 'again');
    await changeOf('/big/sub/again.txt', 'created');
    await flush();
    expect(of('/big/f1')).toEqual(['changed']);
    expect(of('/big/sub/inner.txt')).toEqual(['created', 'deleted']);
    expect(errors).toEqual([]);
  });

  it('watches a large sync root itself, and folders in it through chokidar', async () => {
    await fill(root, 8);
    await mkdir(join(root, 'small'));
    await startWatcher(60, 120, 5);
    await appendFile(join(root, 'f0'), ' more');
    await writeFile(join(root, 'small/a.txt'), 'a');
    await Promise.all([changeOf('/f0', 'changed'), changeOf('/small/a.txt', 'created')]);
    expect(errors).toEqual([]);
  });

  it('an edit in a large folder costs the same reads whatever the folder holds', async () => {
    const editCost = async (files: number, largeFolderEntries: number, until: (calls: number) => boolean): Promise<number> => {
      const folder = join(root, `folder-${files}-${largeFolderEntries}`);
      await fill(folder, files);
      await startWatcher(60, 120, largeFolderEntries);
      const reads = countFolderReads(folder);
      try {
        await appendFile(join(folder, 'f1'), ' edited');
        await changeOf(`/${relativeName(folder)}/f1`, 'changed');
        await flush();
        await vi.waitFor(() => expect(until(reads.calls())).toBe(true), { timeout: 10_000 });
        return reads.calls();
      } finally {
        reads.restore();
        await watcher.close();
      }
    };
    const relativeName = (folder: string) => folder.slice(root.length + 1);
    // Watched by chokidar (below the threshold): each event re-reads the whole folder.
    expect(await editCost(400, 1000, (calls) => calls >= 400)).toBeGreaterThanOrEqual(400);
    // Above the threshold: a handful of lstats of the edited file, at 40 entries as at 400.
    const small = await editCost(40, 20, () => true);
    const large = await editCost(400, 20, () => true);
    expect(small).toBeLessThanOrEqual(6);
    expect(large).toBeLessThanOrEqual(6);
  });

  it('takes a folder that grows past the threshold away from chokidar', async () => {
    const folder = join(root, 'growing');
    await mkdir(folder);
    await startWatcher(60, 120, 10);
    await fill(folder, 30);
    await changeOf('/growing/f29', 'created');
    const reads = countFolderReads(folder);
    try {
      // Laying the watches out again takes a moment: edit until an edit is cheap.
      await vi.waitFor(async () => {
        reads.reset();
        await appendFile(join(folder, 'f0'), '.');
        const edits = of('/growing/f0').length;
        await vi.waitFor(() => expect(of('/growing/f0').length).toBeGreaterThan(edits), { timeout: 5000 });
        await flush();
        expect(reads.calls()).toBeLessThanOrEqual(6);
      }, { timeout: 20_000, interval: 200 });
    } finally {
      reads.restore();
    }
    await writeFile(join(folder, 'late.txt'), 'late');
    await changeOf('/growing/late.txt', 'created');
    expect(errors).toEqual([]);
  });
});

describe('translateWatchError', () => {
  it('turns inotify ENOSPC into watch_limit with how to raise the limit', () => {
    const enospc = Object.assign(new Error('ENOSPC: System limit for number of file watchers reached, watch \'/x\''), { code: 'ENOSPC', errno: -28, syscall: 'watch' });
    const error = translateWatchError(enospc, '/home/u/Netdisk');
    expect(error).toBeInstanceOf(SyncError);
    expect(error.code).toBe('watch_limit');
    expect(error.message).toContain('sysctl fs.inotify.max_user_watches=524288');
    expect(error.message).toContain('/etc/sysctl.d/');
    expect(error.detail.cause).toBe(enospc);
  });

  it('keeps other failures as ordinary file-system errors', () => {
    expect(translateWatchError(Object.assign(new Error('denied'), { code: 'EACCES' }), '/r').code).toBe('permission_denied');
  });
});
