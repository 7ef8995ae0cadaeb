import { ApiError } from '../../errors.js';
import type { OAuthConfig } from '../oauthConfig.js';
import type { IdentityProvider } from './identityProvider.js';
import { OidcIdentityProvider } from './oidcProvider.js';
import { QqIdentityProvider } from './qqProvider.js';

/** The configured sign-in providers, by URL name (`qq`, `oidc:<name>`). */
export class ProviderRegistry {
  private readonly providers = new Map<string, IdentityProvider>();

  constructor(config: OAuthConfig) {
    if (config.qq) this.add(new QqIdentityProvider(config.qq));
    for (const oidc of config.oidc) this.add(new OidcIdentityProvider(oidc));
  }

  /** The provider, or 404 `not_found` when it is not configured on this service. */
  get(name: string): IdentityProvider {
    const provider = this.providers.get(name);
    if (!provider) throw new ApiError('not_found', `no sign-in provider "${name}" is configured`);
    return provider;
  }

  private add(provider: IdentityProvider): void {
    this.providers.set(provider.name, provider);
  }
}
