/**
 * Wakes long-polling change-feed readers when their user's feed moves.
 * In-process: one service instance owns the database.
 */
export class ChangeNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();

  /**
   * Resolves on the next `notify` for this user, after `timeoutMs`, or when
   * `signal` aborts (client gone, service closing); never rejects.
   */
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
}
