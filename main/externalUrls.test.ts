import { describe, expect, it } from 'vitest';
import { externalUrlToOpen } from './externalUrls.js';

describe('externalUrlToOpen', () => {
  it('opens http(s) sign-in pages', () => {
    const url = 'http://127.0.0.1:8080/api/v1/auth/oauth/qq/authorize?state=s&code_challenge=c';
    expect(externalUrlToOpen(url)).toBe(url);
    expect(externalUrlToOpen('https://graph.qq.com/oauth2.0/authorize?x=1')).toBe('https://graph.qq.com/oauth2.0/authorize?x=1');
  });

  it('refuses other schemes, embedded credentials and garbage', () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-settings:', 'https://user:pw@host/', 'nonsense', '']) {
      expect(externalUrlToOpen(url), url).toBeNull();
    }
  });
});
