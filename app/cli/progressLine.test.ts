import { describe, expect, it } from 'vitest';
import { formatDuration } from './format.js';
import { progressLine } from './progressLine.js';

describe('CLI progress', () => {
  it('formats durations', () => {
    expect(formatDuration(null)).toBe('--:--');
    expect(formatDuration(52)).toBe('0:52');
    expect(formatDuration(3725)).toBe('1:02:05');
  });

  it('draws the bar, counts, rate and ETA within the width', () => {
    const line = progressLine({ filesTotal: 300, filesDone: 120, bytesTotal: 3e9, bytesDone: 1.5e9, rate: 35.2e6, eta: 52 }, 100);
    expect(line).toContain('50%');
    expect(line).toContain('120/300 files');
    expect(line).toContain('1.50 GB/3.00 GB');
    expect(line).toContain('35.2 MB/s');
    expect(line).toContain('ETA 0:52');
    expect(line.length).toBeLessThanOrEqual(100);
    const barWidth = line.indexOf(']') - 1;
    expect(line.match(/#/g)).toHaveLength(Math.round(barWidth / 2));
    expect(progressLine({ filesTotal: 1, filesDone: 0, bytesTotal: 10, bytesDone: 0, rate: 0, eta: null }, 30).length).toBeLessThanOrEqual(30);
  });
});
