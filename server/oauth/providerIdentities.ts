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

/** Usernames of provider accounts: a readable prefix plus randomness, never a provider id (which would leak it). */
function generatedUsername(provider: string): string {
  const prefix = provider.replace(/^oidc:/, '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 24) || 'user';
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** (provider, provider id) -> user, through the `user_auth` table. */
export class ProviderIdentities {
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

  /** The user signed in by this identity; created with the provider's display name on first sign-in. */
  signIn(provider: string, identity: ProviderIdentity): string {
    return this.db.transaction(() => {
      const existing = this.owner.get(provider, identity.providerId);
      if (existing) return existing.user_id;
      const userId = randomUUID();
      const at = this.now();
      const displayName = identity.displayName.trim().slice(0, MAX_DISPLAY_NAME) || provider;
      this.insertWithFreshUsername(userId, provider, displayName, at);
      this.insertLink.run(userId, provider, identity.providerId, at);
      return userId;
    }).immediate();
  }

  /** Refuses (`already_exists`) an identity that signs in another user; true when it is `userId`'s already. */
  checkLinkable(userId: string, provider: string, providerId: string): boolean {
    const existing = this.owner.get(provider, providerId);
    if (existing && existing.user_id !== userId) throw new ApiError('already_exists', `this ${provider} account already signs in another user`);
    return existing !== undefined;
  }

  /** Adds the identity to `userId`; refused if it already signs in another user. */
  link(userId: string, provider: string, providerId: string): void {
    this.db.transaction(() => {
      if (!this.checkLinkable(userId, provider, providerId)) this.insertLink.run(userId, provider, providerId, this.now());
    }).immediate();
  }

  list(userId: string): LinkedProvider[] {
    return this.linksOf.all(userId).map((row) => ({ provider: row.provider, linkedAt: row.created_at }));
  }

  /** Removes a provider from the user; the last way to sign in is kept (409). */
  unlink(userId: string, provider: string): void {
    if (provider === PASSWORD_PROVIDER) throw new ApiError('invalid_request', 'password sign-in is not a provider link; it cannot be unlinked here');
    this.db.transaction(() => {
      const linked = this.linksOf.all(userId);
      if (!linked.some((row) => row.provider === provider)) throw new ApiError('not_found', `${provider} is not linked to this account`);
      if (linked.length === 1) throw new ApiError('conflict', `${provider} is the only way to sign in to this account; link another first`);
      this.deleteLinks.run(userId, provider);
    }).immediate();
  }

  private insertWithFreshUsername(userId: string, provider: string, displayName: string, at: number): void {
    for (let attempt = 0; ; attempt++) {
      try {
        this.insertUser.run(userId, generatedUsername(provider), displayName, at);
        return;
      } catch (error) {
        const taken = error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
        if (!taken || attempt >= 4) throw error;
      }
    }
  }
}
