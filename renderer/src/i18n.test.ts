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
    expect(formatBytes(1536, t)).toBe('1.5 KB');
    expect(formatBytes(200 * 1024 * 1024, t)).toBe('200 MB');
    expect(formatDuration(9)).toBe('9 s');
    expect(formatDuration(245)).toBe('4:05');
    expect(formatDuration(3909)).toBe('1:05:09');
  });
});
