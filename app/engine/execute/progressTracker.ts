import type { Progress, Transfer } from '../../../protocol/engine.js';
import { RateMeter } from '../../base/rateMeter.js';

interface Tracked {
  transfer: Transfer;
  /** Made at the transfer's first bytes: a round of 100,000 small files kept 100,000 meters for transfers that never needed a rate. */
  meter?: RateMeter;
  lastEmit: number;
}

/** How often one transfer's progress is reported while it moves. */
const EMIT_EVERY_MS = 250;

/**
 * Per-transfer and overall progress (files, bytes, smoothed rate, ETA) for
 * one round of transfers, turned into throttled events.
 */
export class ProgressTracker {
  private readonly tracked = new Map<number, Tracked>();
  private overall: RateMeter;
  private filesDone = 0;
  private bytesDone = 0;
  private bytesTotal = 0;

  constructor(
    private readonly now: () => number,
    private readonly emitTransfer: (transfer: Transfer) => void,
    private readonly emitProgress: (progress: Progress) => void,
  ) {
    this.overall = new RateMeter(now);
  }

  /** Starts a round: every transfer of it is known up front, so totals are right from the start. */
  begin(items: readonly { jobId: number; direction: Transfer['direction']; path: string; size: number }[]): void {
    this.tracked.clear();
    this.filesDone = 0;
    this.bytesDone = 0;
    this.bytesTotal = 0;
    this.overall = new RateMeter(this.now);
    for (const item of items) {
      this.bytesTotal += item.size;
      this.tracked.set(item.jobId, {
        transfer: { id: String(item.jobId), direction: item.direction, path: item.path, size: item.size, bytesDone: 0, rate: 0, eta: null, state: 'queued' },
        lastEmit: 0,
      });
    }
    this.emitOverall();
  }

  active(jobId: number): void {
    this.update(jobId, { state: 'active' }, true);
  }

  bytes(jobId: number, n: number): void {
    const item = this.tracked.get(jobId);
    if (!item) return;
    const counted = Math.min(n, item.transfer.size - item.transfer.bytesDone);
    item.meter ??= new RateMeter(this.now);
    item.meter.add(counted);
    this.overall.add(counted);
    this.bytesDone += counted;
    const bytesDone = item.transfer.bytesDone + counted;
    this.update(jobId, { bytesDone, rate: item.meter.rate, eta: item.meter.eta(item.transfer.size - bytesDone) }, false);
  }

  finished(jobId: number, outcome: { state: 'done' } | { state: 'failed' | 'paused'; error?: { code: string; message: string } }): void {
    const item = this.tracked.get(jobId);
    if (!item) return;
    if (outcome.state === 'done') {
      this.filesDone += 1;
      const rest = item.transfer.size - item.transfer.bytesDone;
      this.bytesDone += rest;
      this.update(jobId, { state: 'done', bytesDone: item.transfer.size, eta: 0 }, true);
    } else {
      this.update(jobId, outcome.error ? { state: outcome.state, error: outcome.error } : { state: outcome.state }, true);
    }
  }

  snapshot(): Progress {
    return {
      filesTotal: this.tracked.size,
      filesDone: this.filesDone,
      bytesTotal: this.bytesTotal,
      bytesDone: Math.min(this.bytesDone, this.bytesTotal),
      rate: this.overall.rate,
      eta: this.overall.eta(this.bytesTotal - this.bytesDone),
    };
  }

  transfers(): Transfer[] {
    return [...this.tracked.values()].map((item) => item.transfer);
  }

  private update(jobId: number, patch: Partial<Transfer>, force: boolean): void {
    const item = this.tracked.get(jobId);
    if (!item) return;
    item.transfer = { ...item.transfer, ...patch };
    const now = this.now();
    if (!force && now - item.lastEmit < EMIT_EVERY_MS) return;
    item.lastEmit = now;
    this.emitTransfer(item.transfer);
    this.emitOverall();
  }

  private emitOverall(): void {
    this.emitProgress(this.snapshot());
  }
}
