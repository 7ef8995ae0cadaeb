import { mkdirSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { healthResponse, MAX_CHANGES_WAIT_SECONDS } from '../protocol/api.js';
import { AccessTokens } from './auth/accessTokens.js';
import { authModule } from './auth/module.js';
import { RefreshTokenStore } from './auth/refreshTokens.js';
import { loadSigningKeys } from './auth/signingKeys.js';
import type { ServerConfig } from './config.js';
import type { ServerContext } from './context.js';
import { filesModule } from './files/module.js';
import { oauthModule } from './oauth/module.js';
import { uploadsModule } from './uploads/module.js';
import { sharesModule } from './shares/module.js';
import { openBlobStore } from './blobs/openBlobStore.js';
import { StorageQuota } from './uploads/quota.js';
import { openMetadata, type ModuleMigrations } from './metadata.js';
import { installErrorHandling } from './http/errorHandler.js';
import { defineRoute, JSON_BODY_LIMIT, type RouteRegistry } from './http/routes.js';
import { openApiDocument } from './http/openapi.js';
import { PACKAGE_VERSION } from '../protocol/version.js';

export interface BuildOptions {
  /** Pino options, or false to silence logs (tests). */
  logger?: boolean | { level: string };
  /** Clock override for tests. */
  now?: () => number;
}

/** A feature module: its schema steps (in SQLite's and PostgreSQL's dialect) and its routes. */
export interface ServerModule {
  migrations: ModuleMigrations;
  register(app: FastifyInstance, ctx: ServerContext): void | Promise<void>;
}

const MODULES: ServerModule[] = [
  authModule,
  oauthModule,
  filesModule,
  uploadsModule,
  sharesModule,
];

/** Every module's schema steps, in order: the service, `migrate` and the admin command open the database with them. */
export function allMigrations(): ModuleMigrations {
  return {
    sqlite: MODULES.flatMap((m) => m.migrations.sqlite),
    postgres: MODULES.flatMap((m) => m.migrations.postgres),
  };
}

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

/**
 * Node's own time limits (fastify turns the request timeout off): a request
 * body or header block still arriving after its limit is ended, so trickling
 * clients cannot hold connections. They bound receiving a request only; an
 * answer may take longer (a long-poll waits up to MAX_CHANGES_WAIT_SECONDS
 * after its request was fully read). A socket with no traffic either way is
 * closed once a long-poll's wait has had a minute of slack.
 */
function serverTimeouts(config: ServerConfig) {
  const requestTimeout = config.timeouts.requestSeconds * 1000;
  const headersTimeout = config.timeouts.headersSeconds * 1000;
  return {
    requestTimeout,
    connectionTimeout: (MAX_CHANGES_WAIT_SECONDS + 60) * 1000,
    http: {
      requestTimeout,
      headersTimeout,
      // How often Node looks for expired requests: often enough that a short limit is kept to within a quarter.
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))),
    },
  };
}

/** The app factory: tests call it and talk to the result without fixed ports. */
export async function buildApp(config: ServerConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: JSON_BODY_LIMIT,
    forceCloseConnections: false,
    // request.ip (every per-address throttle) reads X-Forwarded-For only from these peers.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    ...serverTimeouts(config),
  });
  closeConnectionsWhenAnswered(app);
  // Raw bodies (chunks) are streamed by their handlers; anything unknown is left unread.
  app.addContentTypeParser('application/octet-stream', (_request, _payload, done) => done(null));
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  installErrorHandling(app, { dataDir: config.dataDir });

  // The content store first: a missing bucket or refused credentials stop the start before anything is opened.
  const blobs = await openBlobStore(config);
  const now = options.now ?? Date.now;
  const metadata = await openMetadata(config, allMigrations(), now);
  const closeTasks: (() => void | Promise<void>)[] = [];
  const routes: RouteRegistry = [];
  const { files } = metadata;
  const ctx: ServerContext = {
    config,
    metadata,
    log: app.log,
    accessTokens: new AccessTokens(loadSigningKeys(config.dataDir, config.jwt.secret), {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.accessTtlSeconds,
    }),
    refreshTokens: new RefreshTokenStore(metadata.refreshTokens, now, config.refreshTtlSeconds * 1000),
    routes,
    files,
    storage: new StorageQuota(files, metadata.uploadSessions, metadata.locks, { ...config.limits, keepsVersions: config.versions.maxPerFile > 0 }, now),
    now,
    blobs,
    onClose: (task) => closeTasks.push(task),
  };

  defineRoute(app, ctx, { method: 'GET', url: '/health', summary: 'Liveness', auth: false, responses: { 200: healthResponse } },
    async () => ({ status: 'ok', version: PACKAGE_VERSION }));
  for (const module of MODULES) await module.register(app, ctx);
  app.get('/api/v1/openapi.json', async () => openApiDocument(routes, PACKAGE_VERSION));

  app.addHook('onClose', async () => {
    for (const task of closeTasks.reverse()) await task();
    await metadata.close();
    blobs.close?.();
  });
  return app;
}
