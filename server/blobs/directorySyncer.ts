import { open } from 'node:fs/promises';

/** Makes a directory's entries (a rename or mkdir into it) durable: the directory itself must reach the disk. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface Pending {
  running?: Promise<void>;
  /** The one fsync queued behind `running`: every caller who came after `running` began shares it. */
  queued?: Promise<void>;
}

/**
 * Coalesces directory fsyncs: `sync(dir)` resolves once an fsync of `dir`
 * that began after the call completed, so it covers every change made to
 * `dir` before the call. Callers arriving while one runs share a single next
 * fsync; many renames into one directory from concurrent requests then cost
 * two fsyncs at most, not one each.
 */
export class DirectorySyncer {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly fsyncDir: (dir: string) => Promise<void>) {}

  sync(dir: string): Promise<void> {
    const pending = this.pending.get(dir);
    if (!pending) return this.start(dir, {});
    if (pending.queued) return pending.queued;
    // The running fsync may have begun before the caller's change: one more, after it.
    pending.queued = pending.running!.catch(() => {}).then(() => this.start(dir, pending));
    return pending.queued;
  }

  private start(dir: string, pending: Pending): Promise<void> {
    delete pending.queued;
    const running = this.fsyncDir(dir).finally(() => {
      if (pending.running !== running) return;
      delete pending.running;
      if (!pending.queued) this.pending.delete(dir);
    });
    pending.running = running;
    this.pending.set(dir, pending);
    return running;
  }
}
