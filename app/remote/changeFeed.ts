import { systemClock, type Clock } from '../clock.js';
import { isSyncError, type SyncError } from '../errors.js';
import { backoffDelay, type BackoffPolicy } from '../transfer/backoff.js';
import type { RefusedRemoteEntry } from '../model.js';
import type { RemoteChange, RemoteStore } from './remoteStore.js';

export interface ChangeFeedOptions {
  remote: Pick<RemoteStore, 'changes'>;
  /** Where to continue: the cursor the engine committed last. */
  cursor: number;
  /**
   * One page of changes and the cursor after it. The engine commits the cursor
   * together with the page's effects, so a crash replays at most this page.
   * `refused` are the page's changes the client refuses (to be reported; the cursor moves past them).
   */
  onPage: (changes: RemoteChange[], cursor: number, refused: RefusedRemoteEntry[]) => Promise<void>;
  /** The cursor is older than the service's retained feed: list everything again; returns the cursor to go on from. */
  onResync: (reason: SyncError) => Promise<number>;
  /** Told about each failure the feed will retry after `delayMs`. */
  onRetry?: (error: SyncError, delayMs: number) => void;
  signal: AbortSignal;
  waitSeconds?: number;
  limit?: number;
  clock?: Pick<Clock, 'sleep'>;
  random?: () => number;
  backoff?: Omit<BackoffPolicy, 'maxAttempts'>;
}

const DEFAULT_FEED_BACKOFF = { baseMs: 1_000, maxMs: 60_000 };

/**
 * Follows the service's change feed until `signal` aborts: long-polls from the
 * cursor, hands every non-empty page to `onPage` before asking for the next,
 * waits out network and service outages with jittered exponential backoff,
 * and turns `cursor_expired` into a resync. A retryable `SyncError` from
 * `onPage` is retried the same way (the cursor has not moved). Resolves on
 * abort; rejects on a failure no wait can fix (signed out, a refusal, a
 * non-retryable error from a callback).
 */
export async function followChanges(options: ChangeFeedOptions): Promise<void> {
  const { remote, signal } = options;
  const clock = options.clock ?? systemClock;
  const backoff = options.backoff ?? DEFAULT_FEED_BACKOFF;
  let cursor = options.cursor;
  let failures = 0;
  let caughtUp = false;
  while (!signal.aborted) {
    try {
      const page = await remote.changes(cursor, {
        waitSeconds: caughtUp ? options.waitSeconds ?? 60 : 0,
        signal,
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      });
      failures = 0;
      if (page.changes.length > 0 || page.refused.length > 0 || page.cursor !== cursor) await options.onPage(page.changes, page.cursor, page.refused);
      cursor = page.cursor;
      caughtUp = !page.hasMore;
    } catch (error) {
      if (signal.aborted) return;
      if (!isSyncError(error)) throw error;
      if (error.detail.serviceCode === 'cursor_expired') {
        cursor = await options.onResync(error);
        caughtUp = false;
        continue;
      }
      if (!error.retryable) throw error;
      failures += 1;
      const delayMs = backoffDelay({ ...backoff, maxAttempts: Number.POSITIVE_INFINITY }, failures, options.random);
      options.onRetry?.(error, delayMs);
      try {
        await clock.sleep(delayMs, signal);
      } catch {
        return;
      }
    }
  }
}
