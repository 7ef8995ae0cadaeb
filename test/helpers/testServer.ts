import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../server/app.js';
import { loadConfig, type ServerConfig } from '../../server/config.js';

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
 * The real service on loopback with a fresh data folder and an OS-chosen port.
 * Only the password KDF cost is lowered, so that a suite can register many users.
 */
export async function startTestServer(
  overrides: (config: ServerConfig) => void = () => {},
  options: BuildOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'netdisk-test-'));
  const config = loadConfig(['--data', dataDir, '--port', '0'], {});
  config.scrypt = { N: 2 ** 14, r: 8, p: 1 };
  overrides(config);
  const app = await buildApp(config, { logger: false, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
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
    },
  };
}
