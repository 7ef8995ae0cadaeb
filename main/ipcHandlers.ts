import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { BridgeEvent } from '../protocol/bridge.js';
import type { BridgeService } from '../app/ui/bridgeService.js';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type IpcResult } from './ipcContract.js';
import { isTrustedSender } from './ipcValidation.js';

/**
 * Serves the bridge contract over IPC: every call must come from the app
 * window's top frame on the app origin; BridgeService.call then validates the
 * arguments against protocol/bridge.ts before anything acts.
 */
export function serveBridgeOverIpc(bridge: () => BridgeService | null, appWebContents: () => WebContents | null): void {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event: IpcMainInvokeEvent, command: unknown, args: unknown): Promise<IpcResult> => {
    const frame = event.senderFrame;
    const trusted = isTrustedSender({
      webContentsId: event.sender.id,
      frameUrl: frame?.url ?? null,
      isMainFrame: frame !== null && frame === event.sender.mainFrame,
    }, appWebContents()?.id ?? null);
    if (!trusted) return { ok: false, error: { code: 'invalid_request', message: 'this page may not use Netdisk Sync' } };
    const service = bridge();
    if (service === null) return { ok: false, error: { code: 'bridge_closed', message: 'Netdisk Sync is starting or shutting down; try again in a moment' } };
    try {
      return { ok: true, value: await service.call(String(command), args) };
    } catch (error) {
      return { ok: false, error: service.describeError(error) };
    }
  });
}

/** Forwards an event to the window, if it is open. */
export function sendBridgeEvent(contents: WebContents | null, event: BridgeEvent): void {
  if (contents !== null && !contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, event);
}
