import { describe, expect, it } from 'vitest';
import { BRIDGE_COMMAND_NAMES, type BridgeEvent } from '../protocol/bridge.js';
import { BridgeCallError, createBridgeApi } from './bridgeApi.js';
import type { IpcResult } from './ipcContract.js';

describe('createBridgeApi', () => {
  it('offers exactly the bridge commands and on()', () => {
    const api = createBridgeApi({ invoke: async () => ({ ok: true }), subscribe: () => () => {} });
    expect(Object.keys(api).sort()).toEqual([...BRIDGE_COMMAND_NAMES, 'on'].sort());
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('sends the command and arguments and unwraps results and errors', async () => {
    const calls: [string, unknown][] = [];
    const answers: IpcResult[] = [{ ok: true, value: { url: 'https://x/' } }, { ok: false, error: { code: 'not_signed_in', message: 'sign in first' } }];
    const api = createBridgeApi({
      invoke: async (command, args) => {
        calls.push([command, args]);
        return answers.shift()!;
      },
      subscribe: () => () => {},
    });
    await expect(api.signInWithProvider({ provider: 'qq' })).resolves.toEqual({ url: 'https://x/' });
    const failure = await api.pause().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BridgeCallError);
    expect(failure).toMatchObject({ code: 'not_signed_in', message: 'sign in first' });
    expect(calls).toEqual([['signInWithProvider', { provider: 'qq' }], ['pause', undefined]]);
  });

  it('delivers events until unsubscribed', () => {
    const listeners = new Set<(event: BridgeEvent) => void>();
    const api = createBridgeApi({
      invoke: async () => ({ ok: true }),
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    const seen: BridgeEvent[] = [];
    const off = api.on((event) => seen.push(event));
    for (const listener of listeners) listener({ type: 'state', state: 'paused' });
    off();
    expect(listeners.size).toBe(0);
    expect(seen).toEqual([{ type: 'state', state: 'paused' }]);
  });
});
