import type { BridgeApi } from '../../protocol/bridge.js';
import { connectWebSocketBridge, type ConnectionListener } from './webSocketBridge.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser. */
    netdisk?: BridgeApi;
  }
}

/**
 * The one bridge the UI talks to: the Electron preload's when the page runs
 * in the desktop app, otherwise the WebSocket of `netdisk-sync --ui`.
 */
export function pickBridge(onConnection: ConnectionListener): BridgeApi {
  if (window.netdisk) {
    onConnection('ready');
    return window.netdisk;
  }
  return connectWebSocketBridge(onConnection);
}
