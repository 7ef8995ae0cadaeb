import type pg from 'pg';
import type { PgDatabase } from '../db/postgres.js';
import { InProcessChangeNotifier, type ChangeNotifier } from './changeNotifier.js';

/** The channel commit transactions NOTIFY on, with the user id as payload. */
export const CHANGES_CHANNEL = 'netdisk_changes';
const RECONNECT_MS = 1000;

/**
 * Wakes this node's long-polls on a commit made by any node. Every commit
 * transaction sends `NOTIFY netdisk_changes, '<user id>'` (PgCommitBatcher);
 * PostgreSQL delivers it, only once the transaction committed, to every
 * connection that LISTENs, so each node keeps one such connection open.
 * When that connection drops, notifications sent meanwhile are lost, so on
 * reconnecting every waiter is woken to re-read its feed: a spurious wake-up
 * costs one query, a missed one would cost a reader the rest of its wait.
 */
export class PgChangeNotifier implements ChangeNotifier {
  private readonly local = new InProcessChangeNotifier();
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly db: PgDatabase) {}

  /** Connects and LISTENs; resolves once notifications flow (the first start must not race a commit). */
  async start(): Promise<void> {
    const client = this.db.connectDedicated();
    client.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL && message.payload) this.local.notify([message.payload]);
    });
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    this.client = client;
  }

  wait(userId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.local.wait(userId, timeoutMs, signal);
  }

  /** The committing node's own readers need not wait for the round trip through PostgreSQL. */
  notify(userIds: Iterable<string>): void {
    this.local.notify(userIds);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private reconnect(lost: pg.Client): void {
    if (this.closed || this.client !== lost) return;
    this.client = undefined;
    lost.end().catch(() => {});
    this.local.notifyAll();
    const attempt = (): void => {
      if (this.closed) return;
      this.start().then(() => this.local.notifyAll(), () => {
        this.retry = setTimeout(attempt, RECONNECT_MS);
      });
    };
    this.retry = setTimeout(attempt, RECONNECT_MS);
  }
}
