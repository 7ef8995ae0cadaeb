import type { Owner } from './virtualClock.js';

interface Gate {
  label: string;
  owner: Owner;
  release: () => void;
}

/**
 * The one control point of a simulated history. Every file-system call and
 * every request of every device waits at a gate; the history picks which
 * waiting call goes next (so the interleaving is the history's choice, made
 * from its seed), and a crash drops the gates of the crashed device, which
 * then never goes on. Nothing else runs concurrently: no real timers, no
 * real I/O, so the same choices give the same history.
 */
export class Scheduler {
  private gates: Gate[] = [];
  /** Bumped on every gate opened or passed: `settle` waits until it stops moving. */
  private version = 0;
  /**
   * Every call let through, in order: what "the same history" means. The case
   * probe's random file name (app/local/names.ts) is the one name not chosen
   * by the history; it never changes what happens, so it is masked.
   */
  readonly trace: string[] = [];

  gate(owner: Owner, label: string): Promise<void> {
    if (!owner.alive) return new Promise<void>(() => {});
    this.version++;
    return new Promise<void>((resolve) => {
      this.gates.push({ label, owner, release: resolve });
    });
  }

  get waiting(): number {
    this.gates = this.gates.filter((gate) => gate.owner.alive);
    return this.gates.length;
  }

  /** Lets the `pick`-th waiting call (modulo how many wait) go on; returns its label. */
  release(pick: number): string | null {
    const count = this.waiting;
    if (count === 0) return null;
    const [gate] = this.gates.splice(pick % count, 1);
    this.trace.push(gate!.label.replace(/netdisk-case-probe-[0-9a-f]+/gi, 'netdisk-case-probe-*'));
    if (process.env.SIM_DEBUG) console.log('release', gate!.label);
    this.version++;
    gate!.release();
    return gate!.label;
  }

  /**
   * Runs every continuation that can run now (promise jobs, next ticks) until
   * each device waits at a gate or on the clock again. setImmediate comes
   * after all of those; no I/O competes with it here.
   */
  async settle(): Promise<void> {
    for (let rounds = 0; rounds < 200; rounds++) {
      const before = this.version;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.version === before) return;
    }
  }
}
