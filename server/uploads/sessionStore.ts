import type Database from 'better-sqlite3';

export interface UploadSession {
  id: string;
  userId: string;
  path: string;
  size: number;
  contentHash: string;
  blockHashes: string[];
  mtime: number;
  /** undefined: no precondition; null: the path must not exist; a string: the rev it must have. */
  ifRev: string | null | undefined;
  chunkSize: number;
  createdAt: number;
  expiresAt: number;
}

/**
 * Upload sessions. Every lookup takes the user: another user's session id
 * reads as absent, so it cannot even be confirmed to exist.
 */
export interface UploadSessionStore {
  create(session: UploadSession): Promise<void>;
  get(userId: string, id: string): Promise<UploadSession | null>;
  /** Chunk indexes durably received, ascending. */
  received(id: string): Promise<number[]>;
  /** Marks durably written chunks received, in one transaction; false when the session is gone (aborted or collected meanwhile). */
  markReceived(id: string, ns: readonly number[]): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Ids of sessions that expired before `now`. */
  expired(now: number): Promise<string[]>;
  /** How many of the user's sessions are open at `now` and the bytes they declare: what they reserve. */
  openTotals(userId: string, now: number): Promise<{ count: number; bytes: number }>;
  /** Whether the session exists, whoever's it is (for maintenance, never for a request). */
  exists(id: string): Promise<boolean>;
  /** Whether any session not yet expired at `now` uploads `contentHash`. */
  anyFor(contentHash: string, now: number): Promise<boolean>;
}

export interface SessionRow {
  id: string;
  user_id: string;
  path: string;
  size: number;
  content_hash: string;
  block_hashes: string;
  mtime: number;
  has_if_rev: number;
  if_rev: string | null;
  chunk_size: number;
  created_at: number;
  expires_at: number;
}

export function toRow(session: UploadSession): SessionRow {
  return {
    id: session.id,
    user_id: session.userId,
    path: session.path,
    size: session.size,
    content_hash: session.contentHash,
    block_hashes: JSON.stringify(session.blockHashes),
    mtime: session.mtime,
    has_if_rev: session.ifRev === undefined ? 0 : 1,
    if_rev: session.ifRev ?? null,
    chunk_size: session.chunkSize,
    created_at: session.createdAt,
    expires_at: session.expiresAt,
  };
}

export function toSession(row: SessionRow): UploadSession {
  return {
    id: row.id,
    userId: row.user_id,
    path: row.path,
    size: row.size,
    contentHash: row.content_hash,
    blockHashes: JSON.parse(row.block_hashes) as string[],
    mtime: row.mtime,
    ifRev: row.has_if_rev === 0 ? undefined : row.if_rev,
    chunkSize: row.chunk_size,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export class SqliteUploadSessionStore implements UploadSessionStore {
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement<[string, string], SessionRow>;
  private readonly selectReceived: Database.Statement<[string], number>;
  private readonly insertChunk: Database.Statement;
  private readonly sessionExists: Database.Statement<[string], number>;
  private readonly remove: Database.Statement;
  private readonly selectExpired: Database.Statement<[number], string>;
  private readonly selectAnyFor: Database.Statement<[string, number], number>;
  private readonly markAll: (id: string, ns: readonly number[]) => boolean;
  private readonly totals: Database.Statement<[string, number], { count: number; bytes: number }>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO upload_sessions
      (id, user_id, path, size, content_hash, block_hashes, mtime, has_if_rev, if_rev, chunk_size, created_at, expires_at)
      VALUES (@id, @user_id, @path, @size, @content_hash, @block_hashes, @mtime, @has_if_rev, @if_rev, @chunk_size, @created_at, @expires_at)`);
    this.select = db.prepare('SELECT * FROM upload_sessions WHERE user_id = ? AND id = ?');
    this.selectReceived = db.prepare<[string], number>('SELECT n FROM upload_chunks WHERE upload_id = ? ORDER BY n').pluck();
    this.insertChunk = db.prepare(`INSERT OR IGNORE INTO upload_chunks (upload_id, n)
      SELECT id, ? FROM upload_sessions WHERE id = ?`);
    this.sessionExists = db.prepare<[string], number>('SELECT 1 FROM upload_sessions WHERE id = ?').pluck();
    this.remove = db.prepare('DELETE FROM upload_sessions WHERE id = ?');
    this.selectExpired = db.prepare<[number], string>('SELECT id FROM upload_sessions WHERE expires_at < ?').pluck();
    this.totals = db.prepare('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM upload_sessions WHERE user_id = ? AND expires_at > ?');
    this.selectAnyFor = db.prepare<[string, number], number>('SELECT 1 FROM upload_sessions WHERE content_hash = ? AND expires_at >= ? LIMIT 1').pluck();
    this.markAll = db.transaction((id: string, ns: readonly number[]) => {
      for (const n of ns) this.insertChunk.run(n, id);
      // A re-mark of a received chunk changes no row, so existence is asked separately.
      return this.sessionExists.get(id) !== undefined;
    });
  }

  async create(session: UploadSession): Promise<void> {
    this.insert.run(toRow(session));
  }

  async get(userId: string, id: string): Promise<UploadSession | null> {
    const row = this.select.get(userId, id);
    return row ? toSession(row) : null;
  }

  async received(id: string): Promise<number[]> {
    return this.selectReceived.all(id);
  }

  async markReceived(id: string, ns: readonly number[]): Promise<boolean> {
    return this.markAll(id, ns);
  }

  async delete(id: string): Promise<void> {
    this.remove.run(id);
  }

  async expired(now: number): Promise<string[]> {
    return this.selectExpired.all(now);
  }

  async openTotals(userId: string, now: number): Promise<{ count: number; bytes: number }> {
    return this.totals.get(userId, now) ?? { count: 0, bytes: 0 };
  }

  async exists(id: string): Promise<boolean> {
    return this.sessionExists.get(id) !== undefined;
  }

  async anyFor(contentHash: string, now: number): Promise<boolean> {
    return this.selectAnyFor.get(contentHash, now) !== undefined;
  }
}
