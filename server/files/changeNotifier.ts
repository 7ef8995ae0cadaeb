/**
 * Wakes long-polling change-feed readers when their user's feed moves. One
 * per node: `InProcessChangeNotifier` when one process owns the database
 * (SQLite), `PgChangeNotifier` when several nodes share PostgreSQL and a
 * commit on any of them must wake the readers on all.
 */
export interface ChangeNotifier {
  /**
   * Resolves on the next `notify` for this user, after `timeoutMs`, or when
   * `signal` aborts (client gone, service closing); never rejects. The waiter
   * is registered before this returns, so a check made after the call
   * cannot miss a commit made after the check.
   */
  wait(userId: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Wakes this node's waiters of these users. */
  notify(userIds: Iterable<string>): void;
  close(): Promise<void>;
}

/** The waiters of one process. */
export class InProcessChangeNotifier implements ChangeNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();

  wait(userId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      let set = this.waiters.get(userId);
      if (!set) this.waiters.set(userId, (set = new Set()));
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(userId) === waiters) this.waiters.delete(userId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  notify(userIds: Iterable<string>): void {
    for (const userId of userIds) {
      const waiters = this.waiters.get(userId);
      if (!waiters) continue;
      for (const wake of [...waiters]) wake();
    }
  }

  /** Wakes every waiter: they re-check their feeds (after a lost notification channel). */
  notifyAll(): void {
    this.notify([...this.waiters.keys()]);
  }

  async close(): Promise<void> {}
}
