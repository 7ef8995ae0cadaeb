import type { ServerModule } from '../app.js';
import { DEFAULT_SHARE_CODE_RULES, ShareCodeThrottle } from './codeThrottle.js';
import { registerSharePage } from './page.js';
import { registerPublicShareRoutes } from './publicRoutes.js';
import { registerShareRoutes } from './routes.js';
import { sharesMigrations, sharesPgMigrations } from './schema.js';
import { ShareService } from './shareService.js';

/** Share links: the owner's API, a recipient's API, and the share page recipients open in a browser. */
export const sharesModule: ServerModule = {
  migrations: { sqlite: sharesMigrations, postgres: sharesPgMigrations },
  register(app, ctx) {
    const service = new ShareService({
      shares: ctx.metadata.shares,
      files: ctx.files,
      throttle: new ShareCodeThrottle(DEFAULT_SHARE_CODE_RULES, ctx.now),
      now: ctx.now,
      // Read per link: tests (and an operator) set the public URL after the app is built.
      get publicUrl() { return ctx.config.publicUrl; },
    });
    registerShareRoutes(app, ctx, service);
    registerPublicShareRoutes(app, ctx, service, ctx.blobs.store);
    registerSharePage(app, ctx, service, ctx.blobs.store);
  },
};
