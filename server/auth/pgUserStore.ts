import { randomUUID } from 'node:crypto';
import type { User } from '../../protocol/api.js';
import { isUniqueViolation, type PgDatabase } from '../db/postgres.js';
import { toAccount, toUser, usernameTakenError, type AccountSummary, type UserRow, type UserStore, type UserWithPassword } from './userStore.js';

/** The users on PostgreSQL; a username is unique up to case through the index on lower(username). */
export class PgUserStore implements UserStore {
  constructor(private readonly db: PgDatabase, private readonly now: () => number) {}

  async usernameTaken(username: string): Promise<boolean> {
    return (await this.byUsername(username)) !== undefined;
  }

  async createWithPassword(username: string, passwordHash: string): Promise<User> {
    const id = randomUUID();
    const createdAt = this.now();
    try {
      await this.db.transaction(async (tx) => {
        await tx.query('INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ($1, $2, $2, $3, $4)',
          [id, username, passwordHash, createdAt]);
        await tx.query('INSERT INTO user_auth (user_id, provider, provider_id, created_at) VALUES ($1, $2, $1, $3)', [id, 'password', createdAt]);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw usernameTakenError(username);
      throw error;
    }
    return { id, username, displayName: username, createdAt };
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.query('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id]);
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.byId(id);
    return row && toUser(row);
  }

  async findByUsername(username: string): Promise<UserWithPassword | undefined> {
    const row = await this.byUsername(username);
    return row && toAccount(row);
  }

  async isDisabled(id: string): Promise<boolean> {
    return ((await this.byId(id))?.disabled_at ?? null) !== null;
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.db.query('UPDATE users SET disabled_at = $1 WHERE id = $2', [disabled ? this.now() : null, id]);
  }

  async list(): Promise<AccountSummary[]> {
    const { rows } = await this.db.query<UserRow>('SELECT * FROM users ORDER BY lower(username) COLLATE "C"');
    return rows.map((row) => ({ user: toUser(row), disabled: row.disabled_at !== null }));
  }

  private async byId(id: string): Promise<UserRow | undefined> {
    return (await this.db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id])).rows[0];
  }

  private async byUsername(username: string): Promise<UserRow | undefined> {
    return (await this.db.query<UserRow>('SELECT * FROM users WHERE lower(username) = lower($1)', [username])).rows[0];
  }
}
