import type { PgDatabase } from '../db/postgres.js';
import { toRecord, type ShareRecord, type ShareRow, type ShareStore } from './shareStore.js';

/** Share links on PostgreSQL. */
export class PgShareStore implements ShareStore {
  constructor(private readonly db: PgDatabase) {}

  async create(share: ShareRecord): Promise<void> {
    await this.db.query(`
      INSERT INTO shares (id, user_id, entry_id, kind, name, code, token_key, created_at, expires_at, max_downloads, downloads, revoked_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [share.id, share.userId, share.entryId, share.kind, share.name, share.code, share.tokenKey, share.createdAt, share.expiresAt,
      share.maxDownloads, share.downloads, share.revokedAt]);
  }

  async get(id: string): Promise<ShareRecord | null> {
    const row = (await this.db.query<ShareRow>('SELECT * FROM shares WHERE id = $1', [id])).rows[0];
    return row ? toRecord(row) : null;
  }

  async listByUser(userId: string): Promise<ShareRecord[]> {
    return (await this.db.query<ShareRow>('SELECT * FROM shares WHERE user_id = $1 ORDER BY created_at DESC, id', [userId])).rows.map(toRecord);
  }

  async revoke(userId: string, id: string, at: number): Promise<ShareRecord | null> {
    // A second revoke keeps the first time.
    const row = (await this.db.query<ShareRow>('UPDATE shares SET revoked_at = coalesce(revoked_at, $1) WHERE user_id = $2 AND id = $3 RETURNING *',
      [at, userId, id])).rows[0];
    return row ? toRecord(row) : null;
  }

  // One statement: two downloads racing for the last allowed one cannot both pass (the second re-checks the updated row).
  async countDownload(id: string): Promise<boolean> {
    return ((await this.db.query(`UPDATE shares SET downloads = downloads + 1
      WHERE id = $1 AND (max_downloads IS NULL OR downloads < max_downloads)`, [id])).rowCount ?? 0) === 1;
  }
}
