import type Database from 'better-sqlite3';
import type { NewTokenRow, RefreshTokenTable, RotateOutcome, SessionRow } from './refreshTokens.js';

export interface TokenRow {
  id: string;
  user_id: string;
  family_id: string;
  device_name: string;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

/** The refresh-token rows on SQLite. */
export class SqliteRefreshTokenTable implements RefreshTokenTable {
  private readonly insertRow: Database.Statement<[string, string, string, string, string, number, number, number]>;
  private readonly byHash: Database.Statement<[string], TokenRow>;
  private readonly markUsed: Database.Statement<[{ at: number; id: string }]>;
  private readonly revokeFamilyRows: Database.Statement<[number, string]>;
  private readonly revokeUserFamilyRows: Database.Statement<[number, string, string]>;
  private readonly revokeUserRows: Database.Statement<[number, string]>;
  private readonly pruneRows: Database.Statement<[string, number]>;
  private readonly sessions: Database.Statement<[{ at: number; userId: string }], SessionRow>;
  private readonly liveFamily: Database.Statement<[{ at: number; userId: string; familyId: string }], number>;
  private readonly familyDevice: Database.Statement<[string, string], string>;
  private readonly rotateAtomically: (tokenHash: string, at: number, successor: Omit<NewTokenRow, 'userId' | 'familyId' | 'deviceName'>) => RotateOutcome;

  constructor(db: Database.Database) {
    this.insertRow = db.prepare(`INSERT INTO refresh_tokens
      (id, user_id, family_id, token_hash, device_name, created_at, last_used_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byHash = db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ?');
    this.markUsed = db.prepare('UPDATE refresh_tokens SET used_at = @at, last_used_at = @at WHERE id = @id AND used_at IS NULL AND revoked_at IS NULL');
    this.revokeFamilyRows = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL');
    this.revokeUserFamilyRows = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND user_id = ? AND revoked_at IS NULL');
    this.revokeUserRows = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL');
    this.pruneRows = db.prepare('DELETE FROM refresh_tokens WHERE user_id = ? AND expires_at <= ?');
    this.sessions = db.prepare(`SELECT family_id AS id, device_name AS deviceName,
        MIN(created_at) AS createdAt, MAX(last_used_at) AS lastUsedAt
      FROM refresh_tokens WHERE user_id = @userId
      GROUP BY family_id, device_name
      HAVING SUM(used_at IS NULL AND revoked_at IS NULL AND expires_at > @at) > 0
      ORDER BY createdAt, id`);
    this.liveFamily = db.prepare<[{ at: number; userId: string; familyId: string }], number>(`SELECT 1 FROM refresh_tokens
      WHERE family_id = @familyId AND user_id = @userId AND revoked_at IS NULL AND expires_at > @at LIMIT 1`).pluck();
    this.familyDevice = db.prepare<[string, string], string>('SELECT device_name FROM refresh_tokens WHERE family_id = ? AND user_id = ? LIMIT 1').pluck();
    // IMMEDIATE takes the write lock before the read, so two rotations of one token serialize.
    const rotate = db.transaction((tokenHash: string, at: number, successor: Omit<NewTokenRow, 'userId' | 'familyId' | 'deviceName'>): RotateOutcome => {
      const row = this.byHash.get(tokenHash);
      if (!row || row.expires_at <= at) return { kind: 'invalid' };
      if (row.used_at !== null || row.revoked_at !== null || this.markUsed.run({ at, id: row.id }).changes !== 1) {
        this.revokeFamilyRows.run(at, row.family_id);
        return { kind: 'reused', familyId: row.family_id };
      }
      this.insertSync({ ...successor, userId: row.user_id, familyId: row.family_id, deviceName: row.device_name });
      return { kind: 'rotated', userId: row.user_id, familyId: row.family_id };
    });
    this.rotateAtomically = (tokenHash, at, successor) => rotate.immediate(tokenHash, at, successor);
  }

  async insert(row: NewTokenRow): Promise<void> {
    this.insertSync(row);
  }

  async rotate(tokenHash: string, at: number, successor: Omit<NewTokenRow, 'userId' | 'familyId' | 'deviceName'>): Promise<RotateOutcome> {
    return this.rotateAtomically(tokenHash, at, successor);
  }

  async familyOf(tokenHash: string): Promise<string | undefined> {
    return this.byHash.get(tokenHash)?.family_id;
  }

  async revokeFamily(familyId: string, at: number): Promise<void> {
    this.revokeFamilyRows.run(at, familyId);
  }

  async revokeUserFamily(userId: string, familyId: string, at: number): Promise<void> {
    this.revokeUserFamilyRows.run(at, familyId, userId);
  }

  async revokeUser(userId: string, at: number): Promise<void> {
    this.revokeUserRows.run(at, userId);
  }

  async pruneExpired(userId: string, at: number): Promise<void> {
    this.pruneRows.run(userId, at);
  }

  async liveSessions(userId: string, at: number): Promise<SessionRow[]> {
    return this.sessions.all({ at, userId });
  }

  async familyLive(userId: string, familyId: string, at: number): Promise<boolean> {
    return this.liveFamily.get({ at, userId, familyId }) !== undefined;
  }

  async deviceName(userId: string, familyId: string): Promise<string | undefined> {
    return this.familyDevice.get(familyId, userId);
  }

  private insertSync(row: NewTokenRow): void {
    this.insertRow.run(row.id, row.userId, row.familyId, row.tokenHash, row.deviceName, row.at, row.at, row.expiresAt);
  }
}
