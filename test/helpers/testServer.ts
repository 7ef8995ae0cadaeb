import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../server/app.js';
import { loadConfig, type ServerConfig } from '../../server/config.js';
import { dropTestDatabase, freshDatabaseUrl } from './testDatabase.js';

export interface TestServer {
  app: FastifyInstance;
  config: ServerConfig;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** `${url}/api/v1` */
  api: string;
  close(): Promise<void>;
}

/**
 * The real service on loopback with a fresh data folder and an OS-chosen port,
 * and in the PostgreSQL run a fresh database (testDatabase.ts).
 * Only the password KDF cost and the per-address registration limit are
 * changed, so that a suite can register many users from 127.0.0.1.
 */
export async function startTestServer(
  overrides: (config: ServerConfig) => void = () => {},
  options: BuildOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'netdisk-test-'));
  const config = loadConfig(['--data', dataDir, '--port', '0'], {});
  config.scrypt = { N: 2 ** 14, r: 8, p: 1 };
  config.limits.registrationsPerHour = 1_000_000;
  const databaseUrl = await freshDatabaseUrl();
  if (databaseUrl !== undefined) config.databaseUrl = databaseUrl;
  overrides(config);
  return listenTestServer(config, options, 0, dataDir);
}

/**
 * Stops `server` abruptly (in-flight requests are cut, as in a crash) and
 * starts the service again on the same data folder and port, as an
 * operator's restart would. The old handle's `close` must not be called.
 */
export async function restartTestServer(server: TestServer, options: BuildOptions = {}): Promise<TestServer> {
  const closing = server.app.close();
  server.app.server.closeAllConnections();
  await closing;
  return listenTestServer(server.config, options, Number(new URL(server.url).port), server.config.dataDir);
}

async function listenTestServer(config: ServerConfig, options: BuildOptions, port: number, dataDir: string): Promise<TestServer> {
  const app = await buildApp(config, { logger: false, ...options });
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server did not bind a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  config.publicUrl = url;
  return {
    app,
    config,
    url,
    api: `${url}/api/v1`,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestDatabase(config.databaseUrl);
    },
  };
}
