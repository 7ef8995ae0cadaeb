/**
 * Smoothed transfer rate and ETA. An exponentially weighted moving average
 * over one-second windows: steady enough for a progress bar, quick to follow
 * a real change.
 */
export class RateMeter {
  private windowStart: number;
  private windowBytes = 0;
  private smoothed: number | null = null;

  constructor(private readonly now: () => number, private readonly alpha = 0.3) {
    this.windowStart = now();
  }

  add(bytes: number): void {
    this.roll();
    this.windowBytes += bytes;
  }

  /** Bytes per second; 0 until the first window closes. */
  get rate(): number {
    this.roll();
    return this.smoothed ?? 0;
  }

  /** Seconds until `remaining` bytes are done at the current rate; null when unknown. */
  eta(remaining: number): number | null {
    const rate = this.rate;
    if (remaining <= 0) return 0;
    return rate > 0 ? remaining / rate : null;
  }

  private roll(): void {
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed < 1000) return;
    const sample = (this.windowBytes * 1000) / elapsed;
    this.smoothed = this.smoothed === null ? sample : this.alpha * sample + (1 - this.alpha) * this.smoothed;
    this.windowStart = now;
    this.windowBytes = 0;
  }
}
