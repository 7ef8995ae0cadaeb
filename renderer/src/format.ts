import { formatBytes as formatSiBytes } from '../../protocol/units.js';
import type { Translate } from './i18n.js';

/** 1500 -> "1.50 kB": the units the CLI and the limit fields use too (protocol/units.ts); only "B" is translated. */
export function formatBytes(bytes: number, t: Translate): string {
  return formatSiBytes(bytes, (unit) => (unit === 'B' ? t('unit.B') : unit));
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
