import { describe, expect, it } from 'vitest';
import { bytesToKilobytes, formatBytes, kilobytesToBytes } from './units.js';

describe('one unit system (SI: 1 kB = 1000 bytes)', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.00 kB'],
    [1500, '1.50 kB'],
    [1536, '1.54 kB'],
    [35_200_000, '35.2 MB'],
    [200_000_000, '200 MB'],
    [3e9, '3.00 GB'],
    [4.2e12, '4.20 TB'],
    [5e15, '5000 TB'],
  ])('%d bytes -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('never prints 1000 of a unit when the next one fits: 999,999 bytes is 1.00 MB', () => {
    expect(formatBytes(999_999)).toBe('1.00 MB');
    expect(formatBytes(999_949)).toBe('1.00 MB');
    expect(formatBytes(999_400)).toBe('999 kB');
  });

  it('lets the caller name the units (the UI translates B)', () => {
    expect(formatBytes(12, (unit) => (unit === 'B' ? '字节' : unit))).toBe('12 字节');
    expect(formatBytes(12_345, (unit) => `<${unit}>`)).toBe('12.3 <kB>');
  });

  it('converts the kB/s people type to the bytes per second the settings store, and back', () => {
    expect(kilobytesToBytes(250)).toBe(250_000);
    expect(kilobytesToBytes(1.5)).toBe(1500);
    expect(kilobytesToBytes(0.0004)).toBe(0);
    expect(bytesToKilobytes(250_000)).toBe(250);
    // A limit saved before this change (bytes per second) reads back as the same kB/s it was entered as.
    expect(bytesToKilobytes(kilobytesToBytes(1500))).toBe(1500);
  });
});
