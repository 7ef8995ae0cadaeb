import type { Translate } from './i18n.js';

const UNITS = ['unit.B', 'unit.KB', 'unit.MB', 'unit.GB'] as const;

/** 1536 -> "1.5 KB" (powers of 1024, as file managers show sizes). */
export function formatBytes(bytes: number, t: Translate): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${t(UNITS[unit] ?? 'unit.B')}`;
}

/** Seconds as "1:05:09", "4:05" or "9 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${String(rest).padStart(2, '0')}`;
  if (m > 0) return `${m}:${String(rest).padStart(2, '0')}`;
  return `${rest} s`;
}

export function formatTime(at: number, language: string): string {
  return new Date(at).toLocaleString(language);
}

/** The last segment of a drive path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1) || path;
}

export function percent(done: number, total: number): number {
  return total <= 0 ? 0 : Math.min(100, Math.floor((done / total) * 100));
}
