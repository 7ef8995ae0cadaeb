import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration } from './format.js';
import { resolveLanguage, translator } from './i18n.js';

describe('i18n', () => {
  it('follows the chosen language, else the system\'s', () => {
    expect(resolveLanguage('en', ['zh-CN'])).toBe('en');
    expect(resolveLanguage(null, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(resolveLanguage(null, ['de-DE', 'en-US'])).toBe('en');
  });

  it('fills placeholders in both languages', () => {
    expect(translator('en')('overview.files', { done: 2, total: 5 })).toBe('2 of 5 files');
    expect(translator('zh-CN')('overview.files', { done: 2, total: 5 })).toBe('2 / 5 个文件');
  });

  it('formats sizes and durations', () => {
    const t = translator('en');
    expect(formatBytes(0, t)).toBe('0 B');
    // SI units, as the CLI and the kB/s limit fields count (protocol/units.ts).
    expect(formatBytes(1500, t)).toBe('1.50 kB');
    expect(formatBytes(200_000_000, t)).toBe('200 MB');
    expect(formatBytes(12, translator('zh-CN'))).toBe('12 字节');
    expect(formatBytes(2_500_000, translator('zh-CN'))).toBe('2.50 MB');
    expect(formatDuration(9)).toBe('9 s');
    expect(formatDuration(245)).toBe('4:05');
    expect(formatDuration(3909)).toBe('1:05:09');
  });
});
