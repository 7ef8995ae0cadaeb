import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ApiError } from '../errors.js';
import { LiveSessionCache } from './liveSessionCache.js';

interface TokenRow {
  id: string;
  user_id: string;
  family_id: string;
  device_name: string;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

export interface IssuedRefreshToken {
  /** The opaque secret handed to the client once; only its hash is stored. */
  token: string;
  userId: string;
  /** The device session; access tokens carry it as `sid`. */
  familyId: string;
}

export interface SessionRow {
  id: string;
  deviceName: string;
  createdAt: number;
  lastUsedAt: number;
}

type RotateOutcome = { kind: 'rotated'; issued: IssuedRefreshToken } | { kind: 'reused' } | { kind: 'invalid' };

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Refresh tokens with rotation and reuse detection: each use retires the token
 * and issues its successor in the same family; presenting a retired one means
 * two parties hold the family's tokens, so the whole family is revoked.
 */
export class RefreshTokenStore {
  private readonly insert: Database.Statement<[string, string, string, string, string, number, number, number]>;
  private readonly byHash: Database.Statement<[string], TokenRow>;
  private readonly markUsed: Database.Statement<[{ at: number; id: string }]>;
  private readonly revokeFamily: Database.Statement<[number, string]>;
  private readonly revokeUserFamily: Database.Statement<[number, string, string]>;
  private readonly revokeUser: Database.Statement<[number, string]>;
  private readonly pruneExpired: Database.Statement<[string, number]>;
  private readonly liveSessions: Database.Statement<[{ at: number; userId: string }], SessionRow>;
  private readonly liveFamily: Database.Statement<[{ at: number; userId: string; familyId: string }], number>;
  private readonly familyDevice: Database.Statement<[string, string], string>;
  private readonly rotateAtomically: (token: string) => RotateOutcome;
  private readonly live: LiveSessionCache;

  constructor(db: Database.Database, private readonly now: () => number, private readonly ttlMs: number) {
    this.live = new LiveSessionCache(now);
    this.insert = db.prepare(`INSERT INTO refresh_tokens
      (id, user_id, family_id, token_hash, device_name, created_at, last_used_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byHash = db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ?');
    this.markUsed = db.prepare('UPDATE refresh_tokens SET used_at = @at, last_used_at = @at WHERE id = @id AND used_at IS NULL AND revoked_at IS NULL');
    this.revokeFamily = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL');
    this.revokeUserFamily = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND user_id = ? AND revoked_at IS NULL');
    this.revokeUser = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL');
    this.pruneExpired = db.prepare('DELETE FROM refresh_tokens WHERE user_id = ? AND expires_at <= ?');
    // A family is live while it holds a token that is neither used, revoked nor expired.
    this.liveSessions = db.prepare(`SELECT family_id AS id, device_name AS deviceName,
        MIN(created_at) AS createdAt, MAX(last_used_at) AS lastUsedAt
      FROM refresh_tokens WHERE user_id = @userId
      GROUP BY family_id, device_name
      HAVING SUM(used_at IS NULL AND revoked_at IS NULL AND expires_at > @at) > 0
      ORDER BY createdAt, id`);
    // Live: not revoked and not expired. Used rows count, the newest being unused: rotation keeps a session live.
    this.liveFamily = db.prepare<[{ at: number; userId: string; familyId: string }], number>(`SELECT 1 FROM refresh_tokens
      WHERE family_id = @familyId AND user_id = @userId AND revoked_at IS NULL AND expires_at > @at LIMIT 1`).pluck();
    this.familyDevice = db.prepare<[string, string], string>('SELECT device_name FROM refresh_tokens WHERE family_id = ? AND user_id = ? LIMIT 1').pluck();
    // IMMEDIATE takes the write lock before the read, so two rotations of one token serialize.
    const rotate = db.transaction((token: string): RotateOutcome => {
      const at = this.now();
      const row = this.byHash.get(hashToken(token));
      if (!row || row.expires_at <= at) return { kind: 'invalid' };
      if (row.used_at !== null || row.revoked_at !== null || this.markUsed.run({ at, id: row.id }).changes !== 1) {
        this.revoke(row.family_id, at);
        return { kind: 'reused' };
      }
      return { kind: 'rotated', issued: this.issue(row.user_id, row.family_id, row.device_name, at) };
    });
    this.rotateAtomically = (token) => rotate.immediate(token);
  }

  /** Starts a device session (a new family) and returns its first token. */
  startSession(userId: string, deviceName: string): IssuedRefreshToken {
    const at = this.now();
    this.pruneExpired.run(userId, at);
    return this.issue(userId, randomUUID(), deviceName, at);
  }

  /** Retires `token` and returns its successor; throws `refresh_token_reused` or `unauthorized`. */
  rotate(token: string): IssuedRefreshToken {
    const outcome = this.rotateAtomically(token);
    if (outcome.kind === 'rotated') return outcome.issued;
    if (outcome.kind === 'reused') {
      throw new ApiError('refresh_token_reused', 'this refresh token was already used; its session has been signed out');
    }
    throw new ApiError('unauthorized', 'the refresh token is unknown or expired; sign in again');
  }

  /** Signs out the session `token` belongs to; an unknown token is already signed out. */
  revokeSessionOf(token: string): void {
    const row = this.byHash.get(hashToken(token));
    if (row) this.revoke(row.family_id, this.now());
  }

  /** Signs out a session by its id, e.g. one started with a replayed sign-in code. */
  revokeFamilyOf(familyId: string): void {
    this.revoke(familyId, this.now());
  }

  /** Signs out every session of a user (disabled, or given a new password by the operator). */
  revokeAllOf(userId: string): void {
    this.revokeUser.run(this.now(), userId);
    this.live.clear();
  }

  /**
   * Whether access tokens of this session may still be used: it was neither
   * signed out nor revoked for reuse, and has not expired. Asked on every
   * authenticated request; see LiveSessionCache for what is cached.
   */
  isLive(userId: string, familyId: string): boolean {
    return this.live.isLive(userId, familyId, () => this.liveFamily.get({ at: this.now(), userId, familyId }) !== undefined);
  }

  /** Signs out one of `userId`'s sessions; false if it has no such live session. */
  revokeSession(userId: string, familyId: string): boolean {
    const live = this.listSessions(userId).some((session) => session.id === familyId);
    if (!live) return false;
    this.revokeUserFamily.run(this.now(), familyId, userId);
    this.live.forget(familyId);
    return true;
  }

  /** The device name a session was started with (what version history says wrote a file); null for an unknown session. */
  deviceName(userId: string, familyId: string): string | null {
    return this.familyDevice.get(familyId, userId) ?? null;
  }

  listSessions(userId: string): SessionRow[] {
    return this.liveSessions.all({ at: this.now(), userId });
  }

  private revoke(familyId: string, at: number): void {
    this.revokeFamily.run(at, familyId);
    this.live.forget(familyId);
  }

  private issue(userId: string, familyId: string, deviceName: string, at: number): IssuedRefreshToken {
    const token = randomBytes(32).toString('base64url');
    this.insert.run(randomUUID(), userId, familyId, hashToken(token), deviceName, at, at, at + this.ttlMs);
    return { token, userId, familyId };
  }
}
