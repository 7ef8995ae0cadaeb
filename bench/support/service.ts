import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServiceProcess } from '../../test/helpers/serviceProcess.js';

export { freePort } from '../../test/helpers/ports.js';
export { stopChild, waitUntilUp } from '../../test/helpers/serviceProcess.js';

export interface SpawnedService {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * `bin/netdisk-server.js` in its own process on 127.0.0.1, with a fresh data
 * folder under `parentDir`, as a user would run it. `nodeArgs` (e.g.
 * `--cpu-prof`) are for profiling.
 */
export async function spawnService(parentDir: string, nodeArgs: readonly string[] = []): Promise<SpawnedService> {
  const dataDir = mkdtempSync(join(parentDir, 'service-'));
  const service = await startServiceProcess({ dataDir, nodeArgs, name: 'netdisk-server' });
  return {
    url: service.url,
    dataDir,
    stop: async () => {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers a fresh account; the sync process signs in with it. Tried once
 * more when the connection was dropped before an answer: after minutes of
 * writing a 100,000-file folder, fetch reused a keep-alive connection the
 * service had just closed ("other side closed"), which ended a bench run.
 */
export async function registerUser(url: string, username: string, password: string, attempt = 1): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  } catch (error) {
    const code = ((error as { cause?: { code?: unknown } }).cause)?.code;
    if (attempt === 1 && code === 'UND_ERR_SOCKET') return registerUser(url, username, password, 2);
    throw error;
  }
  if (!response.ok) throw new Error(`register answered ${response.status}: ${await response.text()}`);
}
