import { appendFile, mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncError } from '../errors.js';
import { IgnoreRules } from './ignore.js';
import { translateWatchError } from './watchErrors.js';
import { LocalWatcher, type LocalChange } from './watcher.js';

let root: string;
let watcher: LocalWatcher;
let changes: LocalChange[];
let errors: SyncError[];
let waiters: { test: (c: LocalChange) => boolean; resolve: () => void }[];

async function startWatcher(debounceMs = 60, stabilityMs = 120): Promise<void> {
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
