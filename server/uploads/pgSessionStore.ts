import type { PgDatabase } from '../db/postgres.js';
import { toRow, toSession, type SessionRow, type UploadSession, type UploadSessionStore } from './sessionStore.js';

/** Upload sessions on PostgreSQL: any node may take the next chunk of a session another node opened. */
export class PgUploadSessionStore implements UploadSessionStore {
  constructor(private readonly db: PgDatabase) {}

  async create(session: UploadSession): Promise<void> {
    const row = toRow(session);
    await this.db.query(`INSERT INTO upload_sessions
      (id, user_id, path, size, content_hash, block_hashes, mtime, has_if_rev, if_rev, chunk_size, created_at, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [row.id, row.user_id, row.path, row.size, row.content_hash, row.block_hashes, row.mtime, row.has_if_rev, row.if_rev, row.chunk_size, row.created_at, row.expires_at]);
  }

  async get(userId: string, id: string): Promise<UploadSession | null> {
    const row = (await this.db.query<SessionRow>('SELECT * FROM upload_sessions WHERE user_id = $1 AND id = $2', [userId, id])).rows[0];
    return row ? toSession(row) : null;
  }

  async received(id: string): Promise<number[]> {
    return (await this.db.query<{ n: number }>('SELECT n FROM upload_chunks WHERE upload_id = $1 ORDER BY n', [id])).rows.map((row) => row.n);
  }

  /** One statement: chunks marked by two nodes at once both land; a chunk of a deleted session marks nothing. */
  async markReceived(id: string, ns: readonly number[]): Promise<boolean> {
    const { rows } = await this.db.query<{ live: boolean }>(`
      WITH session AS (SELECT id FROM upload_sessions WHERE id = $1 FOR SHARE),
      marked AS (INSERT INTO upload_chunks (upload_id, n) SELECT session.id, n FROM session, unnest($2::int[]) AS n ON CONFLICT DO NOTHING)
      SELECT EXISTS (SELECT 1 FROM session) AS live`, [id, ns]);
    return rows[0]!.live;
  }

  async delete(id: string): Promise<void> {
    await this.db.query('DELETE FROM upload_sessions WHERE id = $1', [id]);
  }

  async expired(now: number): Promise<string[]> {
    return (await this.db.query<{ id: string }>('SELECT id FROM upload_sessions WHERE expires_at < $1', [now])).rows.map((row) => row.id);
  }

  async openTotals(userId: string, now: number): Promise<{ count: number; bytes: number }> {
    const { rows } = await this.db.query<{ count: number; bytes: number }>(
      'SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM upload_sessions WHERE user_id = $1 AND expires_at > $2', [userId, now]);
    return rows[0]!;
  }

  async exists(id: string): Promise<boolean> {
    return ((await this.db.query('SELECT 1 FROM upload_sessions WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async anyFor(contentHash: string, now: number): Promise<boolean> {
    return ((await this.db.query('SELECT 1 FROM upload_sessions WHERE content_hash = $1 AND expires_at >= $2 LIMIT 1', [contentHash, now])).rowCount ?? 0) > 0;
  }
}
