import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { User } from '../../protocol/api.js';
import { ApiError } from '../errors.js';

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string | null;
  created_at: number;
  disabled_at: number | null;
}

export interface UserWithPassword {
  user: User;
  /** Null for accounts that only sign in through a provider. */
  passwordHash: string | null;
  disabled: boolean;
}

/** One account as the operator's `users list` shows it. */
export interface AccountSummary {
  user: User;
  disabled: boolean;
}

export function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, displayName: row.display_name, createdAt: row.created_at };
}

/** The `users` table (usernames are unique regardless of case) and its `user_auth` links. */
export interface UserStore {
  usernameTaken(username: string): Promise<boolean>;
  /** Creates a password account; throws `username_taken` if the name exists in any case. */
  createWithPassword(username: string, passwordHash: string): Promise<User>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  findById(id: string): Promise<User | undefined>;
  findByUsername(username: string): Promise<UserWithPassword | undefined>;
  isDisabled(id: string): Promise<boolean>;
  setDisabled(id: string, disabled: boolean): Promise<void>;
  list(): Promise<AccountSummary[]>;
}

export function usernameTakenError(username: string): ApiError {
  return new ApiError('username_taken', `the username "${username}" is taken`);
}

export function toAccount(row: UserRow): UserWithPassword {
  return { user: toUser(row), passwordHash: row.password_hash, disabled: row.disabled_at !== null };
}

export class SqliteUserStore implements UserStore {
  private readonly insertUser: Database.Statement<[string, string, string, string | null, number]>;
  private readonly insertAuth: Database.Statement<[string, string, string, number]>;
  private readonly setPasswordHash: Database.Statement<[string, string]>;
  private readonly byId: Database.Statement<[string], UserRow>;
  private readonly byUsername: Database.Statement<[string], UserRow>;
  private readonly all: Database.Statement<[], UserRow>;
  private readonly setDisabledAt: Database.Statement<[number | null, string]>;

  constructor(private readonly db: Database.Database, private readonly now: () => number) {
    this.insertUser = db.prepare('INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)');
    this.insertAuth = db.prepare('INSERT INTO user_auth (user_id, provider, provider_id, created_at) VALUES (?, ?, ?, ?)');
    this.setPasswordHash = db.prepare('UPDATE users SET password_hash = ? WHERE id = ?');
    this.byId = db.prepare('SELECT * FROM users WHERE id = ?');
    this.byUsername = db.prepare('SELECT * FROM users WHERE username = ?');
    this.all = db.prepare('SELECT * FROM users ORDER BY username');
    this.setDisabledAt = db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?');
  }

  async usernameTaken(username: string): Promise<boolean> {
    return this.byUsername.get(username) !== undefined;
  }

  async createWithPassword(username: string, passwordHash: string): Promise<User> {
    const id = randomUUID();
    const createdAt = this.now();
    try {
      this.db.transaction(() => {
        this.insertUser.run(id, username, username, passwordHash, createdAt);
        this.insertAuth.run(id, 'password', id, createdAt);
      })();
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw usernameTakenError(username);
      }
      throw error;
    }
    return { id, username, displayName: username, createdAt };
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    this.setPasswordHash.run(passwordHash, id);
  }

  async findById(id: string): Promise<User | undefined> {
    const row = this.byId.get(id);
    return row && toUser(row);
  }

  async findByUsername(username: string): Promise<UserWithPassword | undefined> {
    const row = this.byUsername.get(username);
    return row && toAccount(row);
  }

  async isDisabled(id: string): Promise<boolean> {
    return (this.byId.get(id)?.disabled_at ?? null) !== null;
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    this.setDisabledAt.run(disabled ? this.now() : null, id);
  }

  async list(): Promise<AccountSummary[]> {
    return this.all.all().map((row) => ({ user: toUser(row), disabled: row.disabled_at !== null }));
  }
}
