import { join } from 'node:path';
import { findPackageRoot } from '../hash/workerPath.js';
import type { SyncClient } from '../syncClient.js';
import { BridgeService } from '../ui/bridgeService.js';
import { readStoredSettings, writeStoredSettings } from '../ui/settingsFile.js';
import { WebBridge } from '../ui/webBridge.js';
import type { CliArgs } from './args.js';
import type { Reporter } from './reporter.js';

/** The renderer as `npm run build:renderer` leaves it. */
export function builtRendererDir(): string {
  return join(findPackageRoot(), 'dist', 'renderer');
}

/**
 * `netdisk-sync --ui`: the engine runs under the bridge (whenever the session
 * is signed in), the UI is served on 127.0.0.1, and its address with the
 * access token goes to stdout. Limits and concurrency given as flags become
 * the saved settings, so the page shows what is in force. Returns once
 * `stopped` resolves.
 */
export async function serveUi(client: SyncClient, args: CliArgs & { ui: { port: number } }, reporter: Reporter, stopped: Promise<void>): Promise<void> {
  const flags = {
    ...(args.uploadLimit === undefined ? {} : { uploadLimit: args.uploadLimit }),
    ...(args.downloadLimit === undefined ? {} : { downloadLimit: args.downloadLimit }),
    ...(args.concurrency === undefined ? {} : { concurrency: args.concurrency }),
  };
  if (Object.keys(flags).length > 0) writeStoredSettings(client.stateDir, { ...readStoredSettings(client.stateDir), ...flags });
  const service = new BridgeService(client, {
    shell: 'web',
    onInternalError: (error) => reporter.say(`internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`),
  });
  service.start();
  try {
    const bridge = await WebBridge.listen({ service, rendererDir: builtRendererDir(), port: args.ui.port });
    try {
      process.stdout.write(`netdisk-sync UI: ${bridge.url}\n`);
      await stopped;
    } finally {
      await bridge.close();
    }
  } finally {
    await service.close();
  }
}
