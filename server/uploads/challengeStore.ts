import type Database from 'better-sqlite3';
import type { PgDatabase } from '../db/postgres.js';
import type { Challenge } from './challenges.js';

/**
 * Outstanding possession challenges, in the database: a challenge issued by
 * one node may be answered on another, and a restart loses none.
 */
export interface ChallengeStore {
  put(challenge: Challenge): Promise<void>;
  /** Removes and returns the user's challenge (single use, whatever the answer); undefined if unknown or another user's. */
  take(userId: string, id: string): Promise<Challenge | undefined>;
  /** Drops challenges that expired before `now`. */
  sweep(now: number): Promise<void>;
}

interface ChallengeRow {
  id: string;
  user_id: string;
  content_hash: string;
  size: number;
  range_offset: number;
  range_length: number;
  nonce: string;
  expires_at: number;
}

const INSERT = `INSERT INTO upload_challenges (id, user_id, content_hash, size, range_offset, range_length, nonce, expires_at)`;

function toChallenge(row: ChallengeRow): Challenge {
  return {
    id: row.id, userId: row.user_id, contentHash: row.content_hash, size: row.size,
    offset: row.range_offset, length: row.range_length, nonce: row.nonce, expiresAt: row.expires_at,
  };
}

function values(c: Challenge): unknown[] {
  return [c.id, c.userId, c.contentHash, c.size, c.offset, c.length, c.nonce, c.expiresAt];
}

export class SqliteChallengeStore implements ChallengeStore {
  private readonly insert: Database.Statement;
  private readonly takeRow: Database.Statement<[string, string], ChallengeRow>;
  private readonly expired: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`${INSERT} VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.takeRow = db.prepare('DELETE FROM upload_challenges WHERE id = ? AND user_id = ? RETURNING *');
    this.expired = db.prepare('DELETE FROM upload_challenges WHERE expires_at <= ?');
  }

  async put(challenge: Challenge): Promise<void> {
    this.insert.run(...values(challenge));
  }

  async take(userId: string, id: string): Promise<Challenge | undefined> {
    const row = this.takeRow.get(id, userId);
    return row && toChallenge(row);
  }

  async sweep(now: number): Promise<void> {
    this.expired.run(now);
  }
}

/** On PostgreSQL the DELETE … RETURNING is one statement: a proof sent to two nodes at once is taken by one. */
export class PgChallengeStore implements ChallengeStore {
  constructor(private readonly db: PgDatabase) {}

  async put(challenge: Challenge): Promise<void> {
    await this.db.query(`${INSERT} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, values(challenge));
  }

  async take(userId: string, id: string): Promise<Challenge | undefined> {
    const row = (await this.db.query<ChallengeRow>('DELETE FROM upload_challenges WHERE id = $1 AND user_id = $2 RETURNING *', [id, userId])).rows[0];
    return row && toChallenge(row);
  }

  async sweep(now: number): Promise<void> {
    await this.db.query('DELETE FROM upload_challenges WHERE expires_at <= $1', [now]);
  }
}
