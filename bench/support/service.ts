import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServiceProcess } from '../../test/helpers/serviceProcess.js';

export { freePort, stopChild, waitUntilUp } from '../../test/helpers/serviceProcess.js';

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

/** Registers a fresh account; the sync process signs in with it. */
export async function registerUser(url: string, username: string, password: string): Promise<void> {
  const response = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`register answered ${response.status}: ${await response.text()}`);
}
