import { useCallback, useState } from 'react';
import type { BridgeErrorInfo } from '../../protocol/bridge.js';
import { toErrorInfo } from './ErrorNotice.js';

/** Runs a bridge command on user action, tracking whether it is busy and how it failed. */
export function useCommand(): {
  busy: boolean;
  error: BridgeErrorInfo | null;
  clearError: () => void;
  run: <T>(command: () => Promise<T>) => Promise<T | undefined>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BridgeErrorInfo | null>(null);
  const run = useCallback(async <T,>(command: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await command();
    } catch (reason) {
      setError(toErrorInfo(reason));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, clearError: useCallback(() => setError(null), []), run };
}
