import { randomUUID } from 'node:crypto';
import { ADVISORY_KEY_SQL } from '../db/locks.js';
import type { PgDatabase } from '../db/postgres.js';
import type { ContentPins } from './contentPins.js';

/**
 * How long a pin holds at most: longer than any pinned work (a commit, an S3
 * CompleteMultipartUpload of a large file), so it only matters for the pins of
 * a node that died mid-commit, whose content is then kept this much longer.
 */
export const PIN_TTL_MS = 60 * 60 * 1000;
/** The database's clock, in milliseconds: every node compares pins with the same clock. */
const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

const lockKey = (contentHash: string): string => `content:${contentHash}`;

/**
 * Content pins in the database, shared by every node: a row per pinned hash
 * (`content_pins`), so collection on any node sees what any node is
 * committing, and the pin outlives a dropped connection. Pinning and claiming
 * meet on one advisory lock per hash: a pin is inserted under the shared lock,
 * collection checks for pins under the exclusive one and holds it while it
 * deletes. So a pin is either seen by the collection, or inserted after it
 * finished (and its commit then finds the content gone and stores it anew).
 */
export class PgContentPins implements ContentPins {
  constructor(private readonly db: PgDatabase) {}

  async whilePinned<T>(hashes: readonly string[], work: () => Promise<T>): Promise<T> {
    const unique = [...new Set(hashes)].sort();
    const pinId = randomUUID();
    await this.db.lockingTransaction(async (tx) => {
      // Shared: pins never wait for each other, only for a collection of the same hash.
      for (const hash of unique) await tx.query(`SELECT pg_advisory_xact_lock_shared(${ADVISORY_KEY_SQL})`, [lockKey(hash)]);
      await tx.query(`INSERT INTO content_pins (pin_id, content_hash, expires_at)
        SELECT $1, h, ${DB_NOW_MS} + $3 FROM unnest($2::text[]) AS h`, [pinId, unique, PIN_TTL_MS]);
    });
    try {
      return await work();
    } finally {
      // A pin that could not be removed (the database unreachable) expires on its own.
      await this.db.query('DELETE FROM content_pins WHERE pin_id = $1', [pinId]).catch(() => {});
    }
  }

  async collect(contentHash: string, collect: () => Promise<boolean>): Promise<boolean> {
    return this.db.lockingTransaction(async (tx) => {
      // Not waiting: a hash being pinned right now is simply skipped until the next pass.
      const claimed = await tx.query<{ claimed: boolean }>(`SELECT pg_try_advisory_xact_lock(${ADVISORY_KEY_SQL}) AS claimed`, [lockKey(contentHash)]);
      if (!claimed.rows[0]!.claimed) return false;
      const pinned = await tx.query(`SELECT 1 FROM content_pins WHERE content_hash = $1 AND expires_at > ${DB_NOW_MS} LIMIT 1`, [contentHash]);
      if ((pinned.rowCount ?? 0) > 0) return false;
      return collect();
    });
  }

  async sweep(): Promise<void> {
    await this.db.query(`DELETE FROM content_pins WHERE expires_at <= ${DB_NOW_MS}`);
  }
}
