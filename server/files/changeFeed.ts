import type Database from 'better-sqlite3';
import { changeSchema, type Change, type Entry } from '../../protocol/api.js';
import { ApiError } from '../errors.js';

export type ChangeOp = Change['op'];

export interface ChangeRow {
  seq: number;
  op: ChangeOp;
  path: string;
  from_path: string | null;
  entry: string;
}

export interface ChangePage {
  changes: Change[];
  cursor: number;
  hasMore: boolean;
}

/**
 * Each user's ordered log of tree changes. A change row is written in the
 * same transaction as the change itself, so the feed never runs ahead of or
 * behind the tree; replaying it from 0 rebuilds the tree.
 */
export class ChangeFeed {
  private readonly bump: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly insertCreates: Database.Statement;
  private readonly feed: Database.Statement;
  private readonly after: Database.Statement;
  private readonly markPruned: Database.Statement;
  private readonly deleteOld: Database.Statement;

  constructor(private readonly db: Database.Database, private readonly now: () => number) {
    this.bump = db.prepare(`
      INSERT INTO file_feeds (user_id, last_seq) VALUES (@userId, @count)
      ON CONFLICT (user_id) DO UPDATE SET last_seq = last_seq + @count
      RETURNING last_seq`).pluck();
    this.insert = db.prepare(`
      INSERT INTO file_changes (user_id, seq, op, path, from_path, entry, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.insertCreates = db.prepare(`
      INSERT INTO file_changes (user_id, seq, op, path, from_path, entry, created_at)
      SELECT ?, value->>0, 'create', value->>1, NULL, value->>2, ? FROM json_each(?)`);
    this.feed = db.prepare('SELECT last_seq AS lastSeq, pruned_through AS prunedThrough FROM file_feeds WHERE user_id = ?');
    this.after = db.prepare(`
      SELECT seq, op, path, from_path, entry FROM file_changes
      WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?`);
    this.markPruned = db.prepare(`
      UPDATE file_feeds SET pruned_through = max(pruned_through, pruned.seq)
      FROM (SELECT user_id, max(seq) AS seq FROM file_changes WHERE created_at < ? GROUP BY user_id) AS pruned
      WHERE file_feeds.user_id = pruned.user_id`);
    this.deleteOld = db.prepare('DELETE FROM file_changes WHERE created_at < ?');
  }

  /** The next change number of this user; entries take it (as a string) for their rev. */
  nextSeq(userId: string): number {
    return this.reserve(userId, 1);
  }

  /** The first of `count` consecutive change numbers taken at once (restoring a large folder). */
  reserve(userId: string, count: number): number {
    return (this.bump.get({ userId, count }) as number) - count + 1;
  }

  record(userId: string, seq: number, op: ChangeOp, entry: Entry, fromPath?: string): void {
    this.insert.run(userId, seq, op, entry.path, fromPath ?? null, JSON.stringify(entry), this.now());
  }

  /** A `create` for each entry, numbered by its rev, in one statement. */
  recordCreates(userId: string, entries: readonly Entry[]): void {
    this.insertCreates.run(userId, this.now(), JSON.stringify(entries.map((entry) => [Number(entry.rev), entry.path, JSON.stringify(entry)])));
  }

  lastSeq(userId: string): number {
    return this.state(userId).lastSeq;
  }

  page(userId: string, cursor: number, limit: number): ChangePage {
    checkCursor(cursor, this.state(userId).prunedThrough);
    return toPage(this.after.all(userId, cursor, limit + 1) as ChangeRow[], cursor, limit);
  }

  /** Deletes changes made before `before`; returns how many. */
  prune(before: number): number {
    return this.db.transaction(() => {
      this.markPruned.run(before);
      return this.deleteOld.run(before).changes;
    })();
  }

  private state(userId: string): { lastSeq: number; prunedThrough: number } {
    return (this.feed.get(userId) as { lastSeq: number; prunedThrough: number } | undefined) ?? { lastSeq: 0, prunedThrough: 0 };
  }
}

/** Refuses a cursor below what was pruned: changes after it are gone. */
export function checkCursor(cursor: number, prunedThrough: number): void {
  if (cursor < prunedThrough) {
    throw new ApiError('cursor_expired', `changes after ${cursor} were pruned; list the tree again and continue from the newest cursor`);
  }
}

/** A page from up to `limit + 1` rows after `cursor`: the extra one only says there is more. */
export function toPage(rows: readonly ChangeRow[], cursor: number, limit: number): ChangePage {
  const changes = rows.slice(0, limit).map(toChange);
  return { changes, cursor: changes.at(-1)?.seq ?? cursor, hasMore: rows.length > limit };
}

function toChange(row: ChangeRow): Change {
  return changeSchema.parse({
    seq: row.seq,
    op: row.op,
    path: row.path,
    ...(row.from_path === null ? {} : { fromPath: row.from_path }),
    entry: JSON.parse(row.entry) as unknown,
  });
}
