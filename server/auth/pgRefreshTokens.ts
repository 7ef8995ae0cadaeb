import type { Sql, PgDatabase } from '../db/postgres.js';
import type { NewTokenRow, RefreshTokenTable, RotateOutcome, SessionRow } from './refreshTokens.js';
import type { TokenRow } from './sqliteRefreshTokens.js';

function insertRow(sql: Sql, row: NewTokenRow): Promise<unknown> {
  return sql.query(`INSERT INTO refresh_tokens
    (id, user_id, family_id, token_hash, device_name, created_at, last_used_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`, [row.id, row.userId, row.familyId, row.tokenHash, row.deviceName, row.at, row.expiresAt]);
}

/** The refresh-token rows on PostgreSQL. */
export class PgRefreshTokenTable implements RefreshTokenTable {
  constructor(private readonly db: PgDatabase) {}

  async insert(row: NewTokenRow): Promise<void> {
    await insertRow(this.db, row);
  }

  /** The token's row is locked (FOR UPDATE) first, so two nodes rotating one token serialize and one sees it used. */
  rotate(tokenHash: string, at: number, successor: Omit<NewTokenRow, 'userId' | 'familyId' | 'deviceName'>): Promise<RotateOutcome> {
    return this.db.transaction(async (tx): Promise<RotateOutcome> => {
      const row = (await tx.query<TokenRow>('SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE', [tokenHash])).rows[0];
      if (!row || row.expires_at <= at) return { kind: 'invalid' };
      if (row.used_at !== null || row.revoked_at !== null) {
        await tx.query('UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL', [at, row.family_id]);
        return { kind: 'reused', familyId: row.family_id };
      }
      await tx.query('UPDATE refresh_tokens SET used_at = $1, last_used_at = $1 WHERE id = $2', [at, row.id]);
      await insertRow(tx, { ...successor, userId: row.user_id, familyId: row.family_id, deviceName: row.device_name });
      return { kind: 'rotated', userId: row.user_id, familyId: row.family_id };
    });
  }

  async familyOf(tokenHash: string): Promise<string | undefined> {
    return (await this.db.query<{ family_id: string }>('SELECT family_id FROM refresh_tokens WHERE token_hash = $1', [tokenHash])).rows[0]?.family_id;
  }

  async revokeFamily(familyId: string, at: number): Promise<void> {
    await this.db.query('UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL', [at, familyId]);
  }

  async revokeUserFamily(userId: string, familyId: string, at: number): Promise<void> {
    await this.db.query('UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND user_id = $3 AND revoked_at IS NULL', [at, familyId, userId]);
  }

  async revokeUser(userId: string, at: number): Promise<void> {
    await this.db.query('UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL', [at, userId]);
  }

  async pruneExpired(userId: string, at: number): Promise<void> {
    await this.db.query('DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at <= $2', [userId, at]);
  }

  async liveSessions(userId: string, at: number): Promise<SessionRow[]> {
    const { rows } = await this.db.query<SessionRow>(`SELECT family_id AS id, device_name AS "deviceName",
        MIN(created_at) AS "createdAt", MAX(last_used_at) AS "lastUsedAt"
      FROM refresh_tokens WHERE user_id = $1
      GROUP BY family_id, device_name
      HAVING bool_or(used_at IS NULL AND revoked_at IS NULL AND expires_at > $2)
      ORDER BY "createdAt", id`, [userId, at]);
    return rows;
  }

  async familyLive(userId: string, familyId: string, at: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`SELECT 1 FROM refresh_tokens
      WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 LIMIT 1`, [familyId, userId, at]);
    return (rowCount ?? 0) > 0;
  }

  async deviceName(userId: string, familyId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ device_name: string }>('SELECT device_name FROM refresh_tokens WHERE family_id = $1 AND user_id = $2 LIMIT 1',
      [familyId, userId]);
    return rows[0]?.device_name;
  }
}
