import type { BridgeErrorInfo } from '../protocol/bridge.js';

/**
 * The Electron IPC carriage of the bridge contract (protocol/bridge.ts): one
 * invoke channel for every command and one channel for events. Results travel
 * as an envelope because Electron reduces an error thrown in a handler to its
 * message text, and the renderer branches on the stable code.
 */
export const IPC_CALL_CHANNEL = 'netdisk:call';
export const IPC_EVENT_CHANNEL = 'netdisk:event';

export type IpcResult = { ok: true; value?: unknown } | { ok: false; error: BridgeErrorInfo };
