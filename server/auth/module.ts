import type { ServerModule } from '../app.js';
import { runPeriodically } from '../periodic.js';
import { LoginThrottle, DEFAULT_LOGIN_RULES, RegistrationThrottle } from './loginThrottle.js';
import { PasswordHasher } from './passwords.js';
import { registerAuthRoutes } from './routes.js';
import { authMigrations, authPgMigrations } from './schema.js';

/** How often throttle counts that no longer matter are dropped. */
const THROTTLE_SWEEP_MS = 10 * 60 * 1000;

/** Password accounts, the JWT + rotating refresh-token pair, and device sessions. */
export const authModule: ServerModule = {
  migrations: { sqlite: authMigrations, postgres: authPgMigrations },
  register(app, ctx) {
    const throttles = ctx.metadata.throttles;
    registerAuthRoutes(app, ctx, {
      users: ctx.metadata.users,
      passwords: new PasswordHasher(ctx.config.scrypt),
      refreshTokens: ctx.refreshTokens,
      throttle: new LoginThrottle(throttles, DEFAULT_LOGIN_RULES, ctx.now),
      registrations: new RegistrationThrottle(throttles, { limit: ctx.config.limits.registrationsPerHour, windowMs: 3600_000 }, ctx.now),
    });
    // Every node sweeps; a sweep is one idempotent DELETE per table.
    runPeriodically(ctx, 'throttle sweep', THROTTLE_SWEEP_MS, () => throttles.sweep(ctx.now()));
  },
};
