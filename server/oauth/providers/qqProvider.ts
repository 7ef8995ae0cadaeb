import type { QqProviderConfig } from '../oauthConfig.js';
import type { ProviderIdentity } from '../providerIdentities.js';
import type { AuthorizationParams, CodeExchange, IdentityProvider } from './identityProvider.js';
import { callProvider, providerError } from './providerHttp.js';
import { parseQqMe, parseQqToken, parseQqUserInfo, type QqFailure } from './qqFormats.js';

const NAME = 'qq';

function refused(step: string, failure: QqFailure) {
  return providerError(NAME, step, failure.description || `error ${failure.code}`,
    { providerCode: failure.code, providerDescription: failure.description });
}

/** QQ Connect (OAuth 2.0, not OIDC): code -> access token -> openid -> profile. */
export class QqIdentityProvider implements IdentityProvider {
  readonly name = NAME;

  constructor(private readonly config: QqProviderConfig) {}

  async authorizationUrl({ state, redirectUri }: AuthorizationParams): Promise<string> {
    return this.url('/oauth2.0/authorize', {
      response_type: 'code',
      client_id: this.config.appId,
      redirect_uri: redirectUri,
      state,
      scope: 'get_user_info',
    });
  }

  async identify({ code, redirectUri }: CodeExchange): Promise<ProviderIdentity> {
    const accessToken = await this.accessToken(code, redirectUri);
    const me = await this.openid(accessToken);
    const profile = await callProvider(NAME, 'get_user_info', this.url('/user/get_user_info', {
      access_token: accessToken,
      oauth_consumer_key: this.config.appId,
      openid: me.openid,
    }));
    const info = parseQqUserInfo(profile.text);
    if (!info.ok) throw refused('get_user_info', info);
    return { providerId: me.unionid ?? me.openid, displayName: info.nickname };
  }

  private async accessToken(code: string, redirectUri: string): Promise<string> {
    const answer = await callProvider(NAME, 'token', this.url('/oauth2.0/token', {
      grant_type: 'authorization_code',
      client_id: this.config.appId,
      client_secret: this.config.appKey,
      code,
      redirect_uri: redirectUri,
    }));
    const token = parseQqToken(answer.text);
    if (!token.ok) throw refused('token', token);
    return token.accessToken;
  }

  private async openid(accessToken: string): Promise<{ openid: string; unionid?: string }> {
    const answer = await callProvider(NAME, 'me', this.url('/oauth2.0/me', {
      access_token: accessToken,
      ...(this.config.unionid ? { unionid: '1' } : {}),
    }));
    const me = parseQqMe(answer.text);
    if (!me.ok) throw refused('me', me);
    // A token issued to another app must not sign anyone in here.
    if (me.clientId !== this.config.appId) {
      throw providerError(NAME, 'me', 'the access token belongs to another app', { providerClientId: me.clientId });
    }
    return me.unionid ? { openid: me.openid, unionid: me.unionid } : { openid: me.openid };
  }

  private url(path: string, params: Record<string, string>): string {
    // Relative to the base, so a base URL with a path prefix keeps it.
    const url = new URL(path.slice(1), this.config.baseUrl.endsWith('/') ? this.config.baseUrl : `${this.config.baseUrl}/`);
    url.search = new URLSearchParams(params).toString();
    return url.toString();
  }
}
