import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../protocol/bridge.js';
import type { Transfer } from '../../protocol/engine.js';
import { applyEvents } from './snapshotReducer.js';

const transfer = (id: string, bytesDone: number): Transfer => ({
  id, direction: 'upload', path: `/${id}`, size: 100, bytesDone, rate: 0, eta: null, state: 'active',
});

const snapshot: Snapshot = {
  shell: 'web',
  session: { state: 'signed_in', username: 'u', reason: null },
  engine: { state: 'idle' },
  progress: { filesTotal: 0, filesDone: 0, bytesTotal: 0, bytesDone: 0, rate: 0, eta: null },
  transfers: [transfer('a', 0), transfer('b', 0)],
  activity: [],
  issues: [],
  conflicts: [],
  massDelete: null,
  settings: { folder: '/f', server: 'http://127.0.0.1:1', uploadLimit: 0, downloadLimit: 0, concurrency: 4, ignoreRules: '', startAtLogin: false, language: null },
  providers: [],
  capabilities: { changeLocation: false, builtInService: false },
  usesBuiltInService: false,
};

describe('applyEvents', () => {
  it('replaces transfers by id in place and appends new ones; the last event for an id wins', () => {
    const next = applyEvents(snapshot, [
      { type: 'transfer', transfer: transfer('b', 10) },
      { type: 'transfer', transfer: transfer('c', 5) },
      { type: 'transfer', transfer: transfer('b', 40) },
    ]);
    expect(next.transfers.map((t) => [t.id, t.bytesDone])).toEqual([['a', 0], ['b', 40], ['c', 5]]);
    expect(snapshot.transfers[1]?.bytesDone).toBe(0);
  });

  it('takes the latest storage figures the service reported', () => {
    const storage = { usedBytes: 5, reservedBytes: 1, quotaBytes: 10 };
    expect(snapshot.storage).toBeUndefined();
    expect(applyEvents(snapshot, [{ type: 'storage', storage: { ...storage, usedBytes: 2 } }, { type: 'storage', storage }]).storage).toEqual(storage);
  });

  it('follows state, mass-delete holds and their clearing, session and settings', () => {
    const next = applyEvents(snapshot, [
      { type: 'state', state: 'paused' },
      { type: 'massDelete', count: 9, side: 'remote', total: 10 },
      { type: 'session', session: { state: 'signed_out', username: 'u', reason: { code: 'signed_out', message: 'revoked' } } },
    ]);
    expect(next.engine).toEqual({ state: 'paused' });
    expect(next.massDelete).toEqual({ count: 9, side: 'remote', total: 10 });
    expect(next.session.state).toBe('signed_out');
    expect(applyEvents(next, [{ type: 'massDeleteCleared' }]).massDelete).toBeNull();
  });

  it('keeps the most recent 200 activities', () => {
    const events = Array.from({ length: 250 }, (_, i) => ({ type: 'activity' as const, activity: { at: i, action: 'uploaded' as const, path: `/f${i}` } }));
    const next = applyEvents(snapshot, events);
    expect(next.activity).toHaveLength(200);
    expect(next.activity[199]?.path).toBe('/f249');
  });
});
