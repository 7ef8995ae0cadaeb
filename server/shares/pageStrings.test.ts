import { describe, expect, it } from 'vitest';
import { PAGE_STRINGS, pageLanguage } from './pageStrings.js';

describe('share page language', () => {
  it.each([
    [undefined, 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['de-DE,zh;q=0.5', 'zh-CN'],
    ['en;q=0.4,zh;q=0.6', 'zh-CN'],
    ['zh;q=0,en', 'en'],
    ['fr', 'en'],
  ])('%s -> %s', (header, language) => {
    expect(pageLanguage(header)).toBe(language);
  });

  it('has every refusal in both languages', () => {
    expect(Object.keys(PAGE_STRINGS['zh-CN'].refusal).sort()).toEqual(Object.keys(PAGE_STRINGS.en.refusal).sort());
  });
});
