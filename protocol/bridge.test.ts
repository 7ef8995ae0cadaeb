import { describe, expect, it } from 'vitest';
import { bridgeCommands, bridgeEventSchema, bridgeServerMessageSchema, settingsPatchSchema, type BridgeApi } from './bridge.js';

describe('bridge contract', () => {
  it('refuses settings it does not know and values out of range', () => {
    expect(settingsPatchSchema.safeParse({ uploadLimit: 1000 }).success).toBe(true);
    expect(settingsPatchSchema.safeParse({ token: 'x' }).success).toBe(false);
    expect(settingsPatchSchema.safeParse({ concurrency: 0 }).success).toBe(false);
    expect(settingsPatchSchema.safeParse({ server: 'file:///etc/passwd' }).success).toBe(false);
    expect(settingsPatchSchema.safeParse({ language: 'fr' }).success).toBe(false);
  });

  it('commands without an argument take undefined only', () => {
    expect(bridgeCommands.pause.args.safeParse(undefined).success).toBe(true);
    expect(bridgeCommands.pause.args.safeParse({ evil: true }).success).toBe(false);
    expect(bridgeCommands.signInWithPassword.args.safeParse({ username: 'a', password: 'b', extra: 1 }).success).toBe(false);
  });

  it('carries engine events and its own events', () => {
    expect(bridgeEventSchema.safeParse({ type: 'state', state: 'paused' }).success).toBe(true);
    expect(bridgeEventSchema.safeParse({ type: 'session', session: { state: 'signed_out', username: null, reason: null } }).success).toBe(true);
    expect(bridgeEventSchema.safeParse({ type: 'nope' }).success).toBe(false);
  });

  it('tells results from failures on the wire', () => {
    expect(bridgeServerMessageSchema.parse({ type: 'result', id: 1, ok: false, error: { code: 'x', message: 'y' } })).toMatchObject({ ok: false });
    expect(bridgeServerMessageSchema.safeParse({ type: 'result', id: 1, ok: false }).success).toBe(false);
  });

  it('derives promise methods from the table', () => {
    // Compile-time: argumentless commands take none, the others their schema's input.
    const call = (api: BridgeApi) => [api.pause(), api.setSettings({ language: 'en' }), api.retryTransfer({ id: 't' })];
    expect(typeof call).toBe('function');
  });
});
