import type { Clock } from '../../app/clock.js';

interface Timer {
  at: number;
  /** Order of creation: timers due at the same instant fire in the order they were set. */
  order: number;
  owner: Owner;
  fire: () => void;
}

/** Whoever set a timer: a crashed device's timers never fire. */
export interface Owner {
  alive: boolean;
}

/**
 * Time that moves only when the simulation says so. Each device gets a view
 * (`forOwner`) whose sleeps are dropped when the device crashes.
 */
export class VirtualClock {
  private time: number;
  private timers: Timer[] = [];
  private order = 0;

  constructor(start: number) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  forOwner(owner: Owner): Clock {
    return {
      now: () => this.time,
      sleep: (ms, signal) => new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const timer: Timer = { at: this.time + Math.max(0, ms), order: this.order++, owner, fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        } };
        const onAbort = () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.timers.push(timer);
      }),
    };
  }

  /** When the next live timer is due, or null when none is set. */
  nextDue(): number | null {
    this.timers = this.timers.filter((t) => t.owner.alive);
    let next: number | null = null;
    for (const timer of this.timers) if (next === null || timer.at < next) next = timer.at;
    return next;
  }

  /** Moves time forward by `ms` (at least to the next due timer when `toNextTimer`), firing what falls due, in order. */
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time && t.owner.alive).sort((a, b) => a.at - b.at || a.order - b.order);
    this.timers = this.timers.filter((t) => t.at > this.time && t.owner.alive);
    for (const timer of due) timer.fire();
  }
}
