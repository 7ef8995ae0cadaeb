import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ApiError } from '../errors.js';
import { LiveSessionCache } from './liveSessionCache.js';

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

/** One token row to store. */
export interface NewTokenRow {
  id: string;
  userId: string;
  familyId: string;
  tokenHash: string;
  deviceName: string;
  at: number;
  expiresAt: number;
}

/** What rotating a token did: the family it belonged to is revoked on reuse. */
export type RotateOutcome =
  | { kind: 'rotated'; userId: string; familyId: string }
  | { kind: 'reused'; familyId: string }
  | { kind: 'invalid' };

/**
 * The `refresh_tokens` table, on SQLite or PostgreSQL. `rotate` is the one
 * operation that must be atomic against a concurrent rotation of the same
 * token (on any node): it reads the token, marks it used and stores its
 * successor, or revokes the family when the token was already used.
 */
export interface RefreshTokenTable {
  insert(row: NewTokenRow): Promise<void>;
  /** `successor` is stored (in the rotated token's family, user and device) only when the outcome is `rotated`. */
  rotate(tokenHash: string, at: number, successor: Omit<NewTokenRow, 'userId' | 'familyId' | 'deviceName'>): Promise<RotateOutcome>;
  familyOf(tokenHash: string): Promise<string | undefined>;
  revokeFamily(familyId: string, at: number): Promise<void>;
  revokeUserFamily(userId: string, familyId: string, at: number): Promise<void>;
  revokeUser(userId: string, at: number): Promise<void>;
  pruneExpired(userId: string, at: number): Promise<void>;
  /** A family is live while it holds a token that is neither used, revoked nor expired. */
  liveSessions(userId: string, at: number): Promise<SessionRow[]>;
  /** Live: not revoked and not expired. Used rows count, the newest being unused: rotation keeps a session live. */
  familyLive(userId: string, familyId: string, at: number): Promise<boolean>;
  /** The device name a family was started with; undefined for an unknown family (or another user's). */
  deviceName(userId: string, familyId: string): Promise<string | undefined>;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Refresh tokens with rotation and reuse detection: each use retires the token
 * and issues its successor in the same family; presenting a retired one means
 * two parties hold the family's tokens, so the whole family is revoked.
 */
export class RefreshTokenStore {
  private readonly live: LiveSessionCache;

  constructor(private readonly table: RefreshTokenTable, private readonly now: () => number, private readonly ttlMs: number) {
    this.live = new LiveSessionCache(now);
  }

  /** Starts a device session (a new family) and returns its first token. */
  async startSession(userId: string, deviceName: string): Promise<IssuedRefreshToken> {
    const at = this.now();
    await this.table.pruneExpired(userId, at);
    const token = newToken();
    const familyId = randomUUID();
    await this.table.insert({ id: randomUUID(), userId, familyId, tokenHash: hashToken(token), deviceName, at, expiresAt: at + this.ttlMs });
    return { token, userId, familyId };
  }

  /** Retires `token` and returns its successor; throws `refresh_token_reused` or `unauthorized`. */
  async rotate(token: string): Promise<IssuedRefreshToken> {
    const at = this.now();
    const successor = newToken();
    const outcome = await this.table.rotate(hashToken(token), at, { id: randomUUID(), tokenHash: hashToken(successor), at, expiresAt: at + this.ttlMs });
    if (outcome.kind === 'rotated') return { token: successor, userId: outcome.userId, familyId: outcome.familyId };
    if (outcome.kind === 'reused') {
      this.live.forget(outcome.familyId);
      throw new ApiError('refresh_token_reused', 'this refresh token was already used; its session has been signed out');
    }
    throw new ApiError('unauthorized', 'the refresh token is unknown or expired; sign in again');
  }

  /** Signs out the session `token` belongs to; an unknown token is already signed out. */
  async revokeSessionOf(token: string): Promise<void> {
    const familyId = await this.table.familyOf(hashToken(token));
    if (familyId !== undefined) await this.revokeFamilyOf(familyId);
  }

  /** Signs out a session by its id, e.g. one started with a replayed sign-in code. */
  async revokeFamilyOf(familyId: string): Promise<void> {
    await this.table.revokeFamily(familyId, this.now());
    this.live.forget(familyId);
  }

  /** Signs out every session of a user (disabled, or given a new password by the operator). */
  async revokeAllOf(userId: string): Promise<void> {
    await this.table.revokeUser(userId, this.now());
    this.live.clear();
  }

  /**
   * Whether access tokens of this session may still be used: it was neither
   * signed out nor revoked for reuse, and has not expired. Asked on every
   * authenticated request; see LiveSessionCache for what is cached.
   */
  isLive(userId: string, familyId: string): Promise<boolean> {
    return this.live.isLive(userId, familyId, () => this.table.familyLive(userId, familyId, this.now()));
  }

  /** Signs out one of `userId`'s sessions; false if it has no such live session. */
  async revokeSession(userId: string, familyId: string): Promise<boolean> {
    const live = (await this.listSessions(userId)).some((session) => session.id === familyId);
    if (!live) return false;
    await this.table.revokeUserFamily(userId, familyId, this.now());
    this.live.forget(familyId);
    return true;
  }

  /** The device name a session was started with (what version history says wrote a file); null for an unknown session. */
  async deviceName(userId: string, familyId: string): Promise<string | null> {
    return (await this.table.deviceName(userId, familyId)) ?? null;
  }

  listSessions(userId: string): Promise<SessionRow[]> {
    return this.table.liveSessions(userId, this.now());
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}
