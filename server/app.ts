import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { healthResponse } from '../protocol/api.js';
import { AccessTokens } from './auth/accessTokens.js';
import { authModule } from './auth/module.js';
import { loadSigningKeys } from './auth/signingKeys.js';
import type { ServerConfig } from './config.js';
import type { ServerContext } from './context.js';
import type { Migration } from './db/migrate.js';
import { openSqlite } from './db/sqlite.js';
import { filesModule } from './files/module.js';
import { oauthModule } from './oauth/module.js';
import { uploadsModule } from './uploads/module.js';
import { sharesModule } from './shares/module.js';
import { LocalBlobStore } from './blobs/localBlobStore.js';
import { SqliteFileStore } from './files/sqliteFileStore.js';
import { installErrorHandling } from './http/errorHandler.js';
import { defineRoute, type RouteRegistry } from './http/routes.js';
import { openApiDocument } from './http/openapi.js';
import { PACKAGE_VERSION } from '../protocol/version.js';

export interface BuildOptions {
  /** Pino options, or false to silence logs (tests). */
  logger?: boolean | { level: string };
  /** Clock override for tests. */
  now?: () => number;
}

/** A feature module: its schema steps and its routes. */
export interface ServerModule {
  migrations: readonly Migration[];
  register(app: FastifyInstance, ctx: ServerContext): void | Promise<void>;
}

const MODULES: ServerModule[] = [
  authModule,
  oauthModule,
  filesModule,
  uploadsModule,
  sharesModule,
];

/** How long a graceful close lets requests in flight finish before it cuts their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Graceful close lets requests in flight finish, then closes their
 * connections. server.close() drops only the connections idle at that
 * moment: one whose answer ended later stayed open for the keep-alive
 * timeout (72 s) and held close. So once closing, answers say
 * `connection: close` and each finished one drops the connections it left
 * idle; a request still running after SHUTDOWN_GRACE_MS (a client that
 * vanished mid-body) is cut.
 */
function closeConnectionsWhenAnswered(app: FastifyInstance): void {
  let deadline: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    deadline = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  });
  app.addHook('onSend', async (_request, reply) => {
    if (deadline) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async () => {
    if (deadline) app.server.closeIdleConnections();
  });
  app.addHook('onClose', async () => clearTimeout(deadline));
}

/** The app factory: tests call it and talk to the result without fixed ports. */
export async function buildApp(config: ServerConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: 16 * 1024 * 1024,
    forceCloseConnections: false,
  });
  closeConnectionsWhenAnswered(app);
  // Raw bodies (chunks) are streamed by their handlers; anything unknown is left unread.
  app.addContentTypeParser('application/octet-stream', (_request, _payload, done) => done(null));
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  installErrorHandling(app);

  const db = openSqlite(join(config.dataDir, 'netdisk.sqlite'), MODULES.flatMap((m) => m.migrations));
  const closeTasks: (() => void | Promise<void>)[] = [];
  const routes: RouteRegistry = [];
  const ctx: ServerContext = {
    config,
    db,
    log: app.log,
    accessTokens: new AccessTokens(loadSigningKeys(config.dataDir, config.jwt.secret), {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.accessTtlSeconds,
    }),
    routes,
    files: new SqliteFileStore(db, { now: options.now ?? Date.now }),
    blobs: new LocalBlobStore(config.dataDir),
    now: options.now ?? Date.now,
    onClose: (task) => closeTasks.push(task),
  };

  defineRoute(app, ctx, { method: 'GET', url: '/health', summary: 'Liveness', auth: false, responses: { 200: healthResponse } },
    async () => ({ status: 'ok', version: PACKAGE_VERSION }));
  for (const module of MODULES) await module.register(app, ctx);
  app.get('/api/v1/openapi.json', async () => openApiDocument(routes, PACKAGE_VERSION));

  app.addHook('onClose', async () => {
    for (const task of closeTasks.reverse()) await task();
    db.close();
  });
  return app;
}
