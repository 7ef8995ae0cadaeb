import type { ServerModule } from '../app.js';
import { OAuthFlowStore } from './flowStore.js';
import { ProviderRegistry } from './providers/registry.js';
import { registerOAuthRoutes } from './routes.js';
import { oauthMigrations, oauthPgMigrations } from './schema.js';

/** Sign-in with QQ and OpenID Connect providers through the client's loopback, and provider links. */
export const oauthModule: ServerModule = {
  migrations: { sqlite: oauthMigrations, postgres: oauthPgMigrations },
  register(app, ctx) {
    registerOAuthRoutes(app, ctx, {
      providers: new ProviderRegistry(ctx.config.oauth),
      flows: new OAuthFlowStore(ctx.metadata.flows, ctx.now),
      identities: ctx.metadata.identities,
      users: ctx.metadata.users,
      refreshTokens: ctx.refreshTokens,
    });
  },
};
