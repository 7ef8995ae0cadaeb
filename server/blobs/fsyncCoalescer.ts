import { open } from 'node:fs/promises';

async function syncOpened(path: string, flags: string, sync: 'sync' | 'datasync'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle[sync]();
  } finally {
    await handle.close();
  }
}

/** Makes a directory's entries (a rename or mkdir into it) durable: the directory itself must reach the disk. */
export function syncDirectory(dir: string): Promise<void> {
  return syncOpened(dir, 'r', 'sync');
}

/** Makes what was written to an existing file durable (fdatasync). */
export function syncFileData(file: string): Promise<void> {
  return syncOpened(file, 'r+', 'datasync');
}

interface Pending {
  running?: Promise<void>;
  /** The one fsync queued behind `running`: every caller who came after `running` began shares it. */
  queued?: Promise<void>;
}

/**
 * Coalesces fsyncs of a path (a directory's entries, a file's bytes):
 * `sync(path)` resolves once an fsync of `path` that began after the call
 * completed, so it covers every change made to `path` before the call.
 * Callers arriving while one runs share a single next fsync; many renames
 * into one directory, or many commits appended to one log, from concurrent
 * requests then cost two fsyncs at most, not one each.
 */
export class FsyncCoalescer {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly fsync: (path: string) => Promise<void>) {}

  sync(path: string): Promise<void> {
    const pending = this.pending.get(path);
    if (!pending) return this.start(path, {});
    if (pending.queued) return pending.queued;
    // The running fsync may have begun before the caller's change: one more, after it.
    pending.queued = pending.running!.catch(() => {}).then(() => this.start(path, pending));
    return pending.queued;
  }

  private start(path: string, pending: Pending): Promise<void> {
    delete pending.queued;
    const running = this.fsync(path).finally(() => {
      if (pending.running !== running) return;
      delete pending.running;
      if (!pending.queued) this.pending.delete(path);
    });
    pending.running = running;
    this.pending.set(path, pending);
    return running;
  }
}
