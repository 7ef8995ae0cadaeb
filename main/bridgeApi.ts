import { BRIDGE_COMMAND_NAMES, type BridgeApi, type BridgeErrorInfo, type BridgeEvent } from '../protocol/bridge.js';
import type { IpcResult } from './ipcContract.js';

/** A failed bridge command as the renderer sees it: the stable code and the sentence for people. */
export class BridgeCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'BridgeCallError';
  }
}

export interface BridgeTransport {
  invoke(command: string, args: unknown): Promise<IpcResult>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: BridgeEvent) => void): () => void;
}

/**
 * Builds exactly the BridgeApi over a transport: one method per command in
 * protocol/bridge.ts plus `on`, nothing else. The preload exposes the result;
 * it is pure so the shape is tested without Electron.
 */
export function createBridgeApi(transport: BridgeTransport): BridgeApi {
  const api: Record<string, unknown> = {};
  for (const command of BRIDGE_COMMAND_NAMES) {
    api[command] = async (args?: unknown) => unwrap(await transport.invoke(command, args));
  }
  api.on = (listener: (event: BridgeEvent) => void) => transport.subscribe(listener);
  return Object.freeze(api) as unknown as BridgeApi;
}

function unwrap(result: IpcResult): unknown {
  if (result.ok) return result.value;
  const error: BridgeErrorInfo = result.error;
  throw new BridgeCallError(error.code, error.message);
}
