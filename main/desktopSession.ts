import type { CredentialStore } from '../app/auth/credentialStore.js';
import { SyncClient } from '../app/syncClient.js';
import { BridgeService, type BridgeServiceOptions } from '../app/ui/bridgeService.js';
import type { BridgeEvent } from '../protocol/bridge.js';

export interface DesktopSessionOptions {
  folder: string;
  server: string;
  warn: (message: string) => void;
  credentials: CredentialStore;
  bridge: Omit<BridgeServiceOptions, 'shell'>;
}

/**
 * One open sync: the SyncClient for a folder and the BridgeService the window
 * and tray talk to. Replaced as a whole when the folder or server changes.
 */
export class DesktopSession {
  private constructor(readonly client: SyncClient, readonly bridge: BridgeService) {}

  static async open(options: DesktopSessionOptions): Promise<DesktopSession> {
    const client = await SyncClient.open({ server: options.server, folder: options.folder, warn: options.warn, credentials: options.credentials });
    try {
      await client.resume();
      const bridge = new BridgeService(client, { ...options.bridge, shell: 'desktop' });
      return new DesktopSession(client, bridge);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  start(listener: (event: BridgeEvent) => void): void {
    this.bridge.on(listener);
    this.bridge.start();
  }

  /** Stops the engine (in-flight chunks stay resumable), the hashing pool and the database. */
  async close(): Promise<void> {
    await this.bridge.close();
    await this.client.close();
  }
}
