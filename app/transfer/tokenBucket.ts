import type { Clock } from '../clock.js';

/**
 * Bandwidth limit shared by every transfer in one direction. Tokens are
 * bytes; a transfer takes what it is about to send or write, waiting when the
 * bucket is empty. A rate of 0 means unlimited and never waits.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private bytesPerSecond: number, private readonly clock: Clock) {
    this.tokens = bytesPerSecond;
    this.updatedAt = clock.now();
  }

  setRate(bytesPerSecond: number): void {
    this.refill();
    this.bytesPerSecond = bytesPerSecond;
    this.tokens = Math.min(this.tokens, bytesPerSecond);
  }

  get rate(): number {
    return this.bytesPerSecond;
  }

  /** Resolves once `bytes` may pass. Large requests are paid in burst-sized slices. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    let owed = bytes;
    while (owed > 0) {
      if (this.bytesPerSecond <= 0) return;
      this.refill();
      const slice = Math.min(owed, this.bytesPerSecond);
      if (this.tokens >= slice) {
        this.tokens -= slice;
        owed -= slice;
        continue;
      }
      const waitMs = Math.ceil(((slice - this.tokens) / this.bytesPerSecond) * 1000);
      await this.clock.sleep(waitMs, signal);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.updatedAt = now;
    // The burst is one second's worth: enough to keep pipes full, small enough to honour the cap.
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + elapsed * this.bytesPerSecond);
  }
}
