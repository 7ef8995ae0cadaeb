// The only API the renderer gets: exactly BridgeApi, carried over IPC. Bundled
// to one CommonJS file (main/vite.preload.config.ts) because a sandboxed
// preload can require nothing but 'electron'.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { BridgeEvent } from '../protocol/bridge.js';
import { createBridgeApi } from './bridgeApi.js';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type IpcResult } from './ipcContract.js';

const api = createBridgeApi({
  invoke: (command, args) => ipcRenderer.invoke(IPC_CALL_CHANNEL, command, args) as Promise<IpcResult>,
  subscribe: (listener) => {
    // The IpcRendererEvent (which holds `sender`, i.e. ipcRenderer) never reaches the page.
    const forward = (_event: IpcRendererEvent, payload: BridgeEvent) => listener(payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
    };
  },
});

contextBridge.exposeInMainWorld('netdisk', api);
