import type { ServerModule } from '../app.js';
import { UserStore } from '../auth/userStore.js';
import { OAuthFlowStore } from './flowStore.js';
import { ProviderIdentities } from './providerIdentities.js';
import { ProviderRegistry } from './providers/registry.js';
import { registerOAuthRoutes } from './routes.js';
import { oauthMigrations } from './schema.js';

/** Sign-in with QQ and OpenID Connect providers through the client's loopback, and provider links. */
export const oauthModule: ServerModule = {
  migrations: oauthMigrations,
  register(app, ctx) {
    registerOAuthRoutes(app, ctx, {
      providers: new ProviderRegistry(ctx.config.oauth),
      flows: new OAuthFlowStore(ctx.db, ctx.now),
      identities: new ProviderIdentities(ctx.db, ctx.now),
      users: new UserStore(ctx.db, ctx.now),
      refreshTokens: ctx.refreshTokens,
    });
  },
};
