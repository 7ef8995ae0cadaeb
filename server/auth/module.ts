import type { ServerModule } from '../app.js';
import { LoginThrottle, DEFAULT_LOGIN_RULES } from './loginThrottle.js';
import { PasswordHasher } from './passwords.js';
import { SlidingWindowLimiter } from './rateLimiter.js';
import { registerAuthRoutes } from './routes.js';
import { authMigrations, authPgMigrations } from './schema.js';

/** Password accounts, the JWT + rotating refresh-token pair, and device sessions. */
export const authModule: ServerModule = {
  migrations: { sqlite: authMigrations, postgres: authPgMigrations },
  register(app, ctx) {
    registerAuthRoutes(app, ctx, {
      users: ctx.metadata.users,
      passwords: new PasswordHasher(ctx.config.scrypt),
      refreshTokens: ctx.refreshTokens,
      throttle: new LoginThrottle(DEFAULT_LOGIN_RULES, ctx.now),
      registrations: new SlidingWindowLimiter({ limit: ctx.config.limits.registrationsPerHour, windowMs: 3600_000 }, ctx.now),
    });
  },
};
