import { describe, expect, it } from 'vitest';
import { ExternalUrlGate } from './externalUrls.js';

describe('ExternalUrlGate', () => {
  it('opens each http(s) URL the app built once', () => {
    const gate = new ExternalUrlGate();
    const url = 'http://127.0.0.1:8080/api/v1/auth/oauth/qq/authorize?state=s&code_challenge=c';
    expect(gate.allow(url)).toBe(true);
    expect(gate.take(url)).toBe(true);
    expect(gate.take(url)).toBe(false);
  });

  it('refuses URLs it did not build and other schemes', () => {
    const gate = new ExternalUrlGate();
    expect(gate.take('https://example.com/')).toBe(false);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@host/', 'nonsense']) {
      expect(gate.allow(url), url).toBe(false);
      expect(gate.take(url), url).toBe(false);
    }
  });
});
