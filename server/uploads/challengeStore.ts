import type Database from 'better-sqlite3';
import type { WindowRule } from '../auth/throttleStore.js';
import { numberPlaceholders, type PgDatabase } from '../db/postgres.js';
import type { Challenge } from './challenges.js';

/** How many challenges one user, and one content across users, may be given per window. */
export interface ChallengeRations {
  perUser: WindowRule;
  perContent: WindowRule;
}

/**
 * Outstanding possession challenges, in the database: a challenge issued by
 * one node may be answered on another, and a restart loses none. The rations
 * are counted from the challenges themselves (a taken one stays, marked, until
 * it expires), so every node counts the same ones.
 */
export interface ChallengeStore {
  /**
   * Stores `challenge`, issued at `issuedAt`, unless its user or its content
   * had its ration within the window: then false and nothing is stored.
   */
  issue(challenge: Challenge, rations: ChallengeRations, issuedAt: number): Promise<boolean>;
  /** Marks the user's challenge taken and returns it (single use, whatever the answer); undefined if unknown, taken or another user's. */
  take(userId: string, id: string, now: number): Promise<Challenge | undefined>;
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

const COLUMNS = 'id, user_id, content_hash, size, range_offset, range_length, nonce, expires_at, issued_at';

function toChallenge(row: ChallengeRow): Challenge {
  return {
    id: row.id, userId: row.user_id, contentHash: row.content_hash, size: row.size,
    offset: row.range_offset, length: row.range_length, nonce: row.nonce, expiresAt: row.expires_at,
  };
}

/** The values of an issue statement, in the order of both dialects' placeholders. */
function issueValues(c: Challenge, rations: ChallengeRations, issuedAt: number): unknown[] {
  return [
    c.id, c.userId, c.contentHash, c.size, c.offset, c.length, c.nonce, c.expiresAt, issuedAt,
    c.userId, issuedAt - rations.perUser.windowMs, rations.perUser.limit,
    c.contentHash, issuedAt - rations.perContent.windowMs, rations.perContent.limit,
  ];
}

/** Rationed in the INSERT's own WHERE: one statement, so a request never stores a challenge its count refused. */
const RATIONED = `
  WHERE (SELECT COUNT(*) FROM upload_challenges WHERE user_id = ? AND issued_at > ?) < ?
    AND (SELECT COUNT(*) FROM upload_challenges WHERE content_hash = ? AND issued_at > ?) < ?`;

export class SqliteChallengeStore implements ChallengeStore {
  private readonly insert: Database.Statement;
  private readonly takeRow: Database.Statement<[number, string, string], ChallengeRow>;
  private readonly expired: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO upload_challenges (${COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? ${RATIONED}`);
    this.takeRow = db.prepare('UPDATE upload_challenges SET taken_at = ? WHERE id = ? AND user_id = ? AND taken_at IS NULL RETURNING *');
    this.expired = db.prepare('DELETE FROM upload_challenges WHERE expires_at <= ?');
  }

  async issue(challenge: Challenge, rations: ChallengeRations, issuedAt: number): Promise<boolean> {
    return this.insert.run(...issueValues(challenge, rations, issuedAt)).changes > 0;
  }

  async take(userId: string, id: string, now: number): Promise<Challenge | undefined> {
    const row = this.takeRow.get(now, id, userId);
    return row && toChallenge(row);
  }

  async sweep(now: number): Promise<void> {
    this.expired.run(now);
  }
}

/**
 * On PostgreSQL taking is one conditional UPDATE: a proof sent to two nodes
 * at once is taken by one. The rations' count and insert are one statement
 * too, but two nodes issuing at the same instant do not see each other's
 * uncommitted rows, so a ration may be passed by the requests in flight at
 * that moment. A ration only decides whether a client proves possession or
 * uploads the bytes, so that is harmless.
 */
export class PgChallengeStore implements ChallengeStore {
  constructor(private readonly db: PgDatabase) {}

  async issue(challenge: Challenge, rations: ChallengeRations, issuedAt: number): Promise<boolean> {
    const sql = `INSERT INTO upload_challenges (${COLUMNS})
      SELECT $1, $2, $3, $4::bigint, $5::bigint, $6::bigint, $7, $8::bigint, $9::bigint ${numberPlaceholders(RATIONED, 10)}`;
    return ((await this.db.query(sql, issueValues(challenge, rations, issuedAt))).rowCount ?? 0) > 0;
  }

  async take(userId: string, id: string, now: number): Promise<Challenge | undefined> {
    const { rows } = await this.db.query<ChallengeRow>(
      'UPDATE upload_challenges SET taken_at = $1 WHERE id = $2 AND user_id = $3 AND taken_at IS NULL RETURNING *', [now, id, userId]);
    return rows[0] && toChallenge(rows[0]);
  }

  async sweep(now: number): Promise<void> {
    await this.db.query('DELETE FROM upload_challenges WHERE expires_at <= $1', [now]);
  }
}
