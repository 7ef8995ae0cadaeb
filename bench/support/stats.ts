import { loadavg } from 'node:os';

/** Small numeric helpers shared by the benchmarks. */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Nearest-rank quantile (q in 0..1). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function fmtSeconds(values: readonly number[]): string {
  return `min ${Math.min(...values).toFixed(2)} s, median ${median(values).toFixed(2)} s (runs: ${values.map((v) => v.toFixed(2)).join(', ')})`;
}

/** Other engineers' work shares the cores: every benchmark prints the load it ran under. */
export function loadNote(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}
