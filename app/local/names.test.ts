import { describe, expect, it } from 'vitest';
import { invalidNameReason, localPathTooLong } from './names.js';

describe('names this computer can hold', () => {
  it('refuses, on every platform, names that are not valid Unicode', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(invalidNameReason('lone\ud800', platform)).toMatch(/lone UTF-16 surrogate/);
      expect(invalidNameReason('low\udc00', platform)).toMatch(/lone UTF-16 surrogate/);
      expect(invalidNameReason('pair\ud83d\ude00', platform)).toBeNull();
    }
  });

  it('knows each platform\'s longest path', () => {
    expect(localPathTooLong(`/${'x'.repeat(4094)}`, 'linux')).toBeNull();
    expect(localPathTooLong(`/${'x'.repeat(4095)}`, 'linux')).toMatch(/4096 bytes long, over its limit of 4095/);
    expect(localPathTooLong(`/${'é'.repeat(600)}`, 'darwin')).toMatch(/1201 bytes/);
    expect(localPathTooLong(`C:\\${'é'.repeat(20_000)}`, 'win32')).toBeNull();
    expect(localPathTooLong(`C:\\${'x'.repeat(32_765)}`, 'win32')).toMatch(/32768 characters/);
  });
});
