/**
 * One unit system for sizes and speeds in the UI, the CLI and the settings:
 * SI decimal units (1 kB = 1000 bytes, 1 MB = 1000 kB), as macOS, GNOME and
 * network speeds count. Decimal because the bandwidth limits were already
 * kilobytes of 1000 bytes per second (`--upload-limit`, the settings form),
 * so the stored limits keep their meaning. Browser-safe: the renderer uses it.
 */
export const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;
export type ByteUnit = (typeof BYTE_UNITS)[number];

/** Bytes in one kB: the unit the bandwidth limits are entered in. */
export const KILOBYTE = 1000;

/**
 * 1500 -> "1.50 kB", 35_200_000 -> "35.2 MB", 999 -> "999 B": three significant
 * digits. `unitName` lets a caller translate a unit's name (the UI says 字节 for B).
 */
export function formatBytes(bytes: number, unitName: (unit: ByteUnit) => string = (unit) => unit): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= KILOBYTE && unit < BYTE_UNITS.length - 1) {
    value /= KILOBYTE;
    unit += 1;
  }
  let text = unit === 0 ? String(Math.round(value)) : value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0);
  // 999.7 kB rounds to "1000"; say 1.00 MB instead.
  if (Number(text) >= KILOBYTE && unit < BYTE_UNITS.length - 1) {
    unit += 1;
    text = (Number(text) / KILOBYTE).toFixed(2);
  }
  return `${text} ${unitName(BYTE_UNITS[unit] ?? 'B')}`;
}

/** A limit in bytes per second as the kB/s people type; whole bytes, as the settings store them. */
export function kilobytesToBytes(kilobytes: number): number {
  return Math.round(kilobytes * KILOBYTE);
}

export function bytesToKilobytes(bytes: number): number {
  return bytes / KILOBYTE;
}
