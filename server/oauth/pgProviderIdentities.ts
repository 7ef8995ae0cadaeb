import { randomUUID } from 'node:crypto';
import { isUniqueViolation, type PgDatabase, type Sql } from '../db/postgres.js';
import {
  checkNotPassword, checkOwner, checkUnlinkable, generatedUsername, newAccountName, USERNAME_ATTEMPTS,
  type LinkedProvider, type ProviderIdentities, type ProviderIdentity,
} from './providerIdentities.js';

/**
 * Provider identities on PostgreSQL. Each change first takes a transaction
 * lock on the identity (an advisory lock on its key), so two nodes signing in
 * or linking the same identity at once take turns: the second sees the
 * first's user.
 */
export class PgProviderIdentities implements ProviderIdentities {
  constructor(private readonly db: PgDatabase, private readonly now: () => number) {}

  signIn(provider: string, identity: ProviderIdentity): Promise<string> {
    return this.db.transaction(async (tx) => {
      await lockIdentity(tx, provider, identity.providerId);
      const existing = await owner(tx, provider, identity.providerId);
      if (existing !== undefined) return existing;
      const userId = randomUUID();
      const at = this.now();
      await insertWithFreshUsername(tx, userId, provider, newAccountName(provider, identity), at);
      await tx.query('INSERT INTO user_auth (user_id, provider, provider_id, created_at) VALUES ($1, $2, $3, $4)', [userId, provider, identity.providerId, at]);
      return userId;
    });
  }

  async checkLinkable(userId: string, provider: string, providerId: string): Promise<boolean> {
    return checkOwner(await owner(this.db, provider, providerId), userId, provider);
  }

  async link(userId: string, provider: string, providerId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await lockIdentity(tx, provider, providerId);
      if (!checkOwner(await owner(tx, provider, providerId), userId, provider)) {
        await tx.query('INSERT INTO user_auth (user_id, provider, provider_id, created_at) VALUES ($1, $2, $3, $4)', [userId, provider, providerId, this.now()]);
      }
    });
  }

  list(userId: string): Promise<LinkedProvider[]> {
    return linksOf(this.db, userId);
  }

  async unlink(userId: string, provider: string): Promise<void> {
    checkNotPassword(provider);
    await this.db.transaction(async (tx) => {
      // The user's row lock: two unlinks of a two-link account cannot both pass the last-link check.
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      checkUnlinkable(provider, await linksOf(tx, userId));
      await tx.query('DELETE FROM user_auth WHERE user_id = $1 AND provider = $2', [userId, provider]);
    });
  }
}

async function lockIdentity(tx: Sql, provider: string, providerId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`identity\n${provider}\n${providerId}`]);
}

async function owner(sql: Sql, provider: string, providerId: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ user_id: string }>('SELECT user_id FROM user_auth WHERE provider = $1 AND provider_id = $2', [provider, providerId]);
  return rows[0]?.user_id;
}

async function linksOf(sql: Sql, userId: string): Promise<LinkedProvider[]> {
  const { rows } = await sql.query<{ provider: string; created_at: number }>(`SELECT provider, MIN(created_at) AS created_at FROM user_auth
    WHERE user_id = $1 GROUP BY provider ORDER BY created_at, provider`, [userId]);
  return rows.map((row) => ({ provider: row.provider, linkedAt: row.created_at }));
}

/** A savepoint per attempt: a taken username must not abort the whole transaction. */
async function insertWithFreshUsername(tx: Sql, userId: string, provider: string, displayName: string, at: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await tx.query('SAVEPOINT username');
    try {
      await tx.query('INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ($1, $2, $3, NULL, $4)',
        [userId, generatedUsername(provider), displayName, at]);
      await tx.query('RELEASE SAVEPOINT username');
      return;
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT username');
      if (!isUniqueViolation(error) || attempt >= USERNAME_ATTEMPTS) throw error;
    }
  }
}
