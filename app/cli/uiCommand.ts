import { join } from 'node:path';
import { findPackageRoot } from '../hash/workerPath.js';
import type { SyncClient } from '../syncClient.js';
import { BridgeService } from '../ui/bridgeService.js';
import { CurrentBridge } from '../ui/currentBridge.js';
import { readStoredSettings, writeStoredSettings } from '../ui/settingsFile.js';
import { WebBridge } from '../ui/webBridge.js';
import type { CliArgs } from './args.js';
import type { Reporter } from './reporter.js';

/** The renderer as `npm run build:renderer` leaves it. */
export function builtRendererDir(): string {
  return join(findPackageRoot(), 'dist', 'renderer');
}

/** Where a sync runs: what the page's first-run step and Settings may change. */
export interface SyncLocation {
  folder: string;
  server: string;
}

/**
 * `netdisk-sync --ui`: the engine runs under the bridge (whenever the session
 * is signed in), the UI is served on 127.0.0.1, and its address with the
 * access token goes to stdout. Limits and concurrency given as flags become
 * the saved settings, so the page shows what is in force. The page may move
 * the sync to another folder or service: the client is closed and `open`
 * makes the next one (with an earlier sign-in resumed). Owns `initial` from
 * here on and closes whichever is open when `stopped` resolves.
 */
export async function serveUi(
  initial: SyncClient,
  args: CliArgs & { ui: { port: number } },
  reporter: Reporter,
  stopped: Promise<void>,
  open: (location: SyncLocation) => Promise<SyncClient>,
): Promise<void> {
  const flags = {
    ...(args.uploadLimit === undefined ? {} : { uploadLimit: args.uploadLimit }),
    ...(args.downloadLimit === undefined ? {} : { downloadLimit: args.downloadLimit }),
    ...(args.concurrency === undefined ? {} : { concurrency: args.concurrency }),
  };
  if (Object.keys(flags).length > 0) writeStoredSettings(initial.stateDir, { ...readStoredSettings(initial.stateDir), ...flags });
  let client = initial;
  let service = serve(client);
  const current = new CurrentBridge(service);

  function serve(next: SyncClient): BridgeService {
    return new BridgeService(next, {
      shell: 'web',
      changeLocation: relocate,
      onInternalError: (error) => reporter.say(`internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`),
    });
  }

  function start(next: SyncClient): BridgeService {
    client = next;
    service = serve(next);
    current.replace(service);
    service.start();
    return service;
  }

  async function relocate(location: { folder: string; server: string | null }): Promise<BridgeService> {
    const here = { folder: client.folder, server: client.account.api.serverUrl };
    // This host has no built-in service, so the bridge never passes null here.
    const there = { folder: location.folder, server: location.server ?? here.server };
    await service.close();
    await client.close();
    let reopened: SyncClient;
    try {
      reopened = await open(there);
    } catch (error) {
      // Stay usable where we were; the page shows why the move failed.
      start(await open(here));
      throw error;
    }
    reporter.say(`now syncing ${there.folder} with ${there.server}`);
    return start(reopened);
  }

  service.start();
  try {
    const bridge = await WebBridge.listen({ service: current, rendererDir: builtRendererDir(), port: args.ui.port });
    try {
      process.stdout.write(`netdisk-sync UI: ${bridge.url}\n`);
      await stopped;
    } finally {
      await bridge.close();
    }
  } finally {
    await service.close();
    await client.close();
  }
}
