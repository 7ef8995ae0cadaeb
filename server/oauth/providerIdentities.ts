import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { ApiError } from '../errors.js';

export interface ProviderIdentity {
  /** QQ's openid (or unionid), an OIDC issuer's `sub`. */
  providerId: string;
  /** Shown as the display name of an account created on first sign-in. */
  displayName: string;
}

export interface LinkedProvider {
  provider: string;
  linkedAt: number;
}

// The password row in user_auth mirrors users.password_hash; it is not a link this module may drop.
const PASSWORD_PROVIDER = 'password';
const MAX_DISPLAY_NAME = 64;
/** Generated usernames tried before giving up (they carry 40 random bits: a clash is already rare). */
export const USERNAME_ATTEMPTS = 5;

/** (provider, provider id) -> user, through the `user_auth` table; on SQLite or PostgreSQL. */
export interface ProviderIdentities {
  /** The user signed in by this identity; created with the provider's display name on first sign-in. */
  signIn(provider: string, identity: ProviderIdentity): Promise<string>;
  /** Refuses (`already_exists`) an identity that signs in another user; true when it is `userId`'s already. */
  checkLinkable(userId: string, provider: string, providerId: string): Promise<boolean>;
  /** Adds the identity to `userId`; refused if it already signs in another user. */
  link(userId: string, provider: string, providerId: string): Promise<void>;
  list(userId: string): Promise<LinkedProvider[]>;
  /** Removes a provider from the user; the last way to sign in is kept (409). */
  unlink(userId: string, provider: string): Promise<void>;
}

export function newAccountName(provider: string, identity: ProviderIdentity): string {
  return identity.displayName.trim().slice(0, MAX_DISPLAY_NAME) || provider;
}

export function checkOwner(owner: string | undefined, userId: string, provider: string): boolean {
  if (owner !== undefined && owner !== userId) throw new ApiError('already_exists', `this ${provider} account already signs in another user`);
  return owner !== undefined;
}

/** The checks of `unlink`, on the user's current links. */
export function checkUnlinkable(provider: string, linked: readonly { provider: string }[]): void {
  if (!linked.some((row) => row.provider === provider)) throw new ApiError('not_found', `${provider} is not linked to this account`);
  if (linked.length === 1) throw new ApiError('conflict', `${provider} is the only way to sign in to this account; link another first`);
}

export function checkNotPassword(provider: string): void {
  if (provider === PASSWORD_PROVIDER) throw new ApiError('invalid_request', 'password sign-in is not a provider link; it cannot be unlinked here');
}

/** Usernames of provider accounts: a readable prefix plus randomness, never a provider id (which would leak it). */
export function generatedUsername(provider: string): string {
  const prefix = provider.replace(/^oidc:/, '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 24) || 'user';
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export class SqliteProviderIdentities implements ProviderIdentities {
  private readonly owner: Database.Statement<[string, string], { user_id: string }>;
  private readonly insertUser: Database.Statement<[string, string, string, number]>;
  private readonly insertLink: Database.Statement<[string, string, string, number]>;
  private readonly linksOf: Database.Statement<[string], { provider: string; created_at: number }>;
  private readonly deleteLinks: Database.Statement<[string, string]>;

  constructor(private readonly db: Database.Database, private readonly now: () => number) {
    this.owner = db.prepare('SELECT user_id FROM user_auth WHERE provider = ? AND provider_id = ?');
    this.insertUser = db.prepare('INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, NULL, ?)');
    this.insertLink = db.prepare('INSERT INTO user_auth (user_id, provider, provider_id, created_at) VALUES (?, ?, ?, ?)');
    this.linksOf = db.prepare('SELECT provider, MIN(created_at) AS created_at FROM user_auth WHERE user_id = ? GROUP BY provider ORDER BY created_at, provider');
    this.deleteLinks = db.prepare('DELETE FROM user_auth WHERE user_id = ? AND provider = ?');
  }

  async signIn(provider: string, identity: ProviderIdentity): Promise<string> {
    return this.db.transaction(() => {
      const existing = this.owner.get(provider, identity.providerId);
      if (existing) return existing.user_id;
      const userId = randomUUID();
      const at = this.now();
      this.insertWithFreshUsername(userId, provider, newAccountName(provider, identity), at);
      this.insertLink.run(userId, provider, identity.providerId, at);
      return userId;
    }).immediate();
  }

  async checkLinkable(userId: string, provider: string, providerId: string): Promise<boolean> {
    return this.checkLinkableNow(userId, provider, providerId);
  }

  async link(userId: string, provider: string, providerId: string): Promise<void> {
    this.db.transaction(() => {
      if (!this.checkLinkableNow(userId, provider, providerId)) this.insertLink.run(userId, provider, providerId, this.now());
    }).immediate();
  }

  async list(userId: string): Promise<LinkedProvider[]> {
    return this.linksOf.all(userId).map((row) => ({ provider: row.provider, linkedAt: row.created_at }));
  }

  async unlink(userId: string, provider: string): Promise<void> {
    checkNotPassword(provider);
    this.db.transaction(() => {
      checkUnlinkable(provider, this.linksOf.all(userId));
      this.deleteLinks.run(userId, provider);
    }).immediate();
  }

  private checkLinkableNow(userId: string, provider: string, providerId: string): boolean {
    return checkOwner(this.owner.get(provider, providerId)?.user_id, userId, provider);
  }

  private insertWithFreshUsername(userId: string, provider: string, displayName: string, at: number): void {
    for (let attempt = 0; ; attempt++) {
      try {
        this.insertUser.run(userId, generatedUsername(provider), displayName, at);
        return;
      } catch (error) {
        const taken = error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
        if (!taken || attempt >= USERNAME_ATTEMPTS - 1) throw error;
      }
    }
  }
}
