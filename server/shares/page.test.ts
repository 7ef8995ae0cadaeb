import { describe, expect, it } from 'vitest';
import { sizeHtml } from './page.js';

describe('share page sizes', () => {
  it.each([
    ['en', 10, '<span title="10 bytes">10 B</span>'],
    ['en', 1_234_567, '<span title="1,234,567 bytes">1.23 MB</span>'],
    ['zh-CN', 12, '<span title="12 字节">12 字节</span>'],
    ['zh-CN', 2_500_000_000, '<span title="2,500,000,000 字节">2.50 GB</span>'],
  ] as const)('%s, %d bytes -> %s', (lang, size, html) => {
    expect(sizeHtml(lang, size)).toBe(html);
  });
});
