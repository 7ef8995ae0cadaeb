import { posix } from 'node:path';
import type { FolderWatcher, LocalWatcherOptions } from '../../app/local/watcher.js';
import type { MemoryFs } from './memoryFs.js';
import type { Owner } from './virtualClock.js';

interface RawEvent {
  path: string;
  realPath: string;
}

/**
 * The watcher port driven by the simulated world: every change under the root
 * (the user's and the engine's own, as with chokidar) queues an event, and the
 * history decides when each is delivered, in which order, whether it is lost
 * and whether it comes twice. Delivery tells the engine as the real watcher
 * does once a path settled: `onEvent`, then `onChange` with what is there now.
 */
export class SimWatcher implements FolderWatcher {
  readonly queue: RawEvent[] = [];
  private listening = false;

  constructor(
    private readonly fs: MemoryFs,
    private readonly root: string,
    private readonly options: LocalWatcherOptions,
    private readonly owner: Owner,
  ) {
    fs.listeners.push((_op, paths) => {
      if (!this.listening || !this.owner.alive) return;
      for (const abs of paths) this.observe(abs);
    });
  }

  async start(): Promise<void> {
    this.listening = true;
  }

  async close(): Promise<void> {
    this.listening = false;
    this.queue.length = 0;
  }

  async deletionsSettled(): Promise<void> {}

  /** Delivers the `pick`-th queued event; `keep` leaves it queued too (a duplicate). */
  deliver(pick: number, keep = false): void {
    if (this.queue.length === 0 || !this.listening) return;
    const index = pick % this.queue.length;
    const event = keep ? this.queue[index]! : this.queue.splice(index, 1)[0]!;
    const abs = posix.join(this.root, event.realPath);
    const exists = this.fs.exists(abs);
    const isFolder = exists && this.fs.lstatNow(abs).isDirectory();
    if (this.options.rules.isIgnored(event.path, isFolder)) return;
    this.options.onEvent?.(event.path, event.realPath);
    this.options.onChange({ ...event, reason: exists ? 'changed' : 'deleted' });
  }

  /** Drops the `pick`-th queued event: the OS never told. */
  lose(pick: number): void {
    if (this.queue.length > 0) this.queue.splice(pick % this.queue.length, 1);
  }

  private observe(abs: string): void {
    if (!abs.startsWith(`${this.root}/`)) return;
    const realPath = abs.slice(this.root.length + 1);
    const path = `/${realPath.normalize('NFC')}`;
    if (this.options.rules.isIgnored(path, false) && this.options.rules.isIgnored(path, true)) return;
    this.queue.push({ path, realPath });
  }
}
