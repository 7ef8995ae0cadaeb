import type { FastifyBaseLogger } from 'fastify';
import type { AccessTokens } from './auth/accessTokens.js';
import type { RefreshTokenStore } from './auth/refreshTokens.js';
import type { OpenedBlobStore } from './blobs/openBlobStore.js';
import type { ServerConfig } from './config.js';
import type { FileStore } from './files/fileStore.js';
import type { Metadata } from './metadata.js';
import type { RouteRegistry } from './http/routes.js';
import type { StorageQuota } from './uploads/quota.js';

/** What every route module is handed: the composition root builds it once per app. */
export interface ServerContext {
  config: ServerConfig;
  /** Every metadata store, on SQLite or PostgreSQL (see metadata.ts). */
  metadata: Metadata;
  log: FastifyBaseLogger;
  accessTokens: AccessTokens;
  /** Device sessions: one store per app, so a revocation clears the live-session cache every request consults. */
  refreshTokens: RefreshTokenStore;
  routes: RouteRegistry;
  /** The users' trees, trash, change feed and content references. */
  files: FileStore;
  /** Per-user quota and upload caps; `/me` reports from it, uploads check it. */
  storage: StorageQuota;
  /** File content, shared by uploads, downloads and share links. */
  blobs: OpenedBlobStore;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now(): number;
  /** Work to run when the app closes (timers, pools), before the database closes. */
  onClose(task: () => void | Promise<void>): void;
}
