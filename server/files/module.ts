import type { ServerModule } from '../app.js';
import { scheduleFilesMaintenance } from './maintenance.js';
import { registerFileRoutes } from './routes.js';
import { filesMigrations, filesPgMigrations } from './schema.js';

/** The file tree, trash and change feed. The store itself is `ctx.files`, built by the app factory. */
export const filesModule: ServerModule = {
  migrations: { sqlite: filesMigrations, postgres: filesPgMigrations },
  register(app, ctx) {
    const closing = new AbortController();
    app.addHook('preClose', async () => closing.abort());
    registerFileRoutes(app, ctx, ctx.files, closing.signal);
    scheduleFilesMaintenance(ctx.files, ctx);
  },
};
