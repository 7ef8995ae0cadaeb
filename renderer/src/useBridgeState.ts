import { useEffect, useState } from 'react';
import type { BridgeApi, BridgeErrorInfo, BridgeEvent, Snapshot } from '../../protocol/bridge.js';
import { toErrorInfo } from './ErrorNotice.js';
import { applyEvents } from './snapshotReducer.js';

/**
 * The engine as the UI sees it: one snapshot at start (and after every
 * session change), then events applied at most once per animation frame.
 */
export function useBridgeState(bridge: BridgeApi): { snapshot: Snapshot | null; error: BridgeErrorInfo | null } {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<BridgeErrorInfo | null>(null);

  useEffect(() => {
    let queued: BridgeEvent[] = [];
    let frame = 0;
    let loaded = false;
    let cancelled = false;
    const load = () => bridge.getSnapshot().then(
      (fresh) => {
        if (cancelled) return;
        loaded = true;
        setSnapshot(fresh);
      },
      (reason: unknown) => { if (!cancelled) setError(toErrorInfo(reason)); },
    );
    const flush = () => {
      frame = 0;
      if (!loaded) return;
      const batch = queued;
      queued = [];
      setSnapshot((current) => (current ? applyEvents(current, batch) : current));
    };
    const off = bridge.on((event) => {
      // Who is signed in changes what there is to show (providers, devices, transfers): start over.
      if (event.type === 'session') void load();
      queued.push(event);
      if (frame === 0) frame = requestAnimationFrame(flush);
    });
    void load();
    return () => {
      cancelled = true;
      off();
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, [bridge]);

  return { snapshot, error };
}
