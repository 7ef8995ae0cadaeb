import type { ProviderIdentity } from '../providerIdentities.js';

export interface AuthorizationParams {
  /** The service's own state towards the provider. */
  state: string;
  /** Bound into an OIDC ID token; QQ has none. */
  nonce: string;
  /** Our PKCE challenge towards the provider (OIDC); QQ ignores it. */
  codeChallenge: string;
  /** The service's registered callback. */
  redirectUri: string;
}

export interface CodeExchange {
  code: string;
  redirectUri: string;
  nonce: string;
  codeVerifier: string;
}

/** One sign-in provider: where to send the browser, and who came back. */
export interface IdentityProvider {
  /** `qq` or `oidc:<name>`. */
  readonly name: string;
  authorizationUrl(params: AuthorizationParams): Promise<string>;
  /** Trades the callback's code for the user's identity; provider failures throw `provider_error`. */
  identify(exchange: CodeExchange): Promise<ProviderIdentity>;
}
