import type Database from 'better-sqlite3';
import type { Entry } from '../../protocol/api.js';

type EntryKind = Entry['kind'];

/** One share link as stored. Times are milliseconds since the epoch. */
export interface ShareRecord {
  id: string;
  userId: string;
  entryId: string;
  kind: EntryKind;
  name: string;
  code: string | null;
  tokenKey: Buffer;
  createdAt: number;
  expiresAt: number | null;
  maxDownloads: number | null;
  downloads: number;
  revokedAt: number | null;
}

/** Share links. Async so that a PostgreSQL adapter can implement the same port. */
export interface ShareStore {
  create(share: ShareRecord): Promise<void>;
  get(id: string): Promise<ShareRecord | null>;
  /** The user's links, newest first. */
  listByUser(userId: string): Promise<ShareRecord[]>;
  /** Marks the user's link revoked; null when the user has no link with this id. */
  revoke(userId: string, id: string, at: number): Promise<ShareRecord | null>;
  /** Counts one download unless the limit is reached: false then, and nothing counted. */
  countDownload(id: string): Promise<boolean>;
}

export interface ShareRow {
  id: string;
  user_id: string;
  entry_id: string;
  kind: EntryKind;
  name: string;
  code: string | null;
  token_key: Buffer;
  created_at: number;
  expires_at: number | null;
  max_downloads: number | null;
  downloads: number;
  revoked_at: number | null;
}

export function toRecord(row: ShareRow): ShareRecord {
  return {
    id: row.id,
    userId: row.user_id,
    entryId: row.entry_id,
    kind: row.kind,
    name: row.name,
    code: row.code,
    tokenKey: row.token_key,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxDownloads: row.max_downloads,
    downloads: row.downloads,
    revokedAt: row.revoked_at,
  };
}

export class SqliteShareStore implements ShareStore {
  private readonly insertRow: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly byUser: Database.Statement;
  private readonly revokeRow: Database.Statement;
  private readonly countRow: Database.Statement;

  constructor(db: Database.Database) {
    this.insertRow = db.prepare(`
      INSERT INTO shares (id, user_id, entry_id, kind, name, code, token_key, created_at, expires_at, max_downloads, downloads, revoked_at)
      VALUES (@id, @userId, @entryId, @kind, @name, @code, @tokenKey, @createdAt, @expiresAt, @maxDownloads, @downloads, @revokedAt)`);
    this.byId = db.prepare('SELECT * FROM shares WHERE id = ?');
    this.byUser = db.prepare('SELECT * FROM shares WHERE user_id = ? ORDER BY created_at DESC, id');
    // A second revoke keeps the first time.
    this.revokeRow = db.prepare('UPDATE shares SET revoked_at = coalesce(revoked_at, ?) WHERE user_id = ? AND id = ?');
    // One statement: two downloads racing for the last allowed one cannot both pass.
    this.countRow = db.prepare(`
      UPDATE shares SET downloads = downloads + 1
      WHERE id = ? AND (max_downloads IS NULL OR downloads < max_downloads)`);
  }

  async create(share: ShareRecord): Promise<void> {
    this.insertRow.run(share);
  }

  async get(id: string): Promise<ShareRecord | null> {
    const row = this.byId.get(id) as ShareRow | undefined;
    return row ? toRecord(row) : null;
  }

  async listByUser(userId: string): Promise<ShareRecord[]> {
    return (this.byUser.all(userId) as ShareRow[]).map(toRecord);
  }

  async revoke(userId: string, id: string, at: number): Promise<ShareRecord | null> {
    if (this.revokeRow.run(at, userId, id).changes === 0) return null;
    return this.get(id);
  }

  async countDownload(id: string): Promise<boolean> {
    return this.countRow.run(id).changes === 1;
  }
}
