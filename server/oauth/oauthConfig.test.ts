import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('sign-in provider configuration from the environment', () => {
  it('has no providers unless configured', () => {
    expect(loadConfig([], {}).oauth).toEqual({ oidc: [] });
  });

  it('reads QQ and OIDC providers, with defaults', () => {
    const { oauth } = loadConfig([], {
      NETDISK_QQ_APP_ID: '101',
      NETDISK_QQ_APP_KEY: 'key',
      NETDISK_OIDC_PROVIDERS: JSON.stringify([
        { name: 'corp', issuer: 'https://id.example.com', clientId: 'c', clientSecret: 's' },
        { name: 'home', issuer: 'http://127.0.0.1:3100', clientId: 'd', scopes: ['email'] },
      ]),
    });
    expect(oauth.qq).toEqual({ appId: '101', appKey: 'key', baseUrl: 'https://graph.qq.com', unionid: false });
    expect(oauth.oidc).toEqual([
      { name: 'corp', issuer: 'https://id.example.com', clientId: 'c', clientSecret: 's', scopes: ['openid', 'profile'] },
      { name: 'home', issuer: 'http://127.0.0.1:3100', clientId: 'd', scopes: ['openid', 'email'] },
    ]);
  });

  it.each([
    [{ NETDISK_QQ_APP_ID: '101' }],
    [{ NETDISK_OIDC_PROVIDERS: 'not json' }],
    [{ NETDISK_OIDC_PROVIDERS: '[{"name":"Bad Name","issuer":"https://x.example","clientId":"c"}]' }],
    [{ NETDISK_OIDC_PROVIDERS: '[{"name":"a","issuer":"ftp://x.example","clientId":"c"}]' }],
    [{ NETDISK_OIDC_PROVIDERS: '[{"name":"a","issuer":"https://x.example","clientId":"c"},{"name":"a","issuer":"https://y.example","clientId":"d"}]' }],
  ])('refuses %j as a configuration error', (env) => {
    expect(() => loadConfig([], env)).toThrow(ConfigError);
  });
});
