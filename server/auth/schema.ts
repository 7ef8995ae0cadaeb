import type { Migration } from '../db/migrate.js';

/** Accounts, the provider identities linked to them (password, QQ, OIDC), and device sessions. */
export const authMigrations: Migration[] = [
  {
    id: 'auth-0001-users',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        password_hash TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE user_auth (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (provider, provider_id)
      );
      CREATE INDEX user_auth_user ON user_auth(user_id);
    `,
  },
  {
    // One row per refresh token ever issued; a family is one device session.
    // Used rows are kept until they expire so that replaying one is detected.
    id: 'auth-0002-refresh-tokens',
    sql: `
      CREATE TABLE refresh_tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        device_name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
      CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id, expires_at);
    `,
  },
  {
    // Set by `netdisk-server users disable`: the account can no longer sign in.
    id: 'auth-0003-disabled-users',
    sql: 'ALTER TABLE users ADD COLUMN disabled_at INTEGER;',
  },
];

/**
 * The same steps on PostgreSQL. Times are BIGINT milliseconds, as in SQLite;
 * a username is unique regardless of case through an index on lower(username).
 */
export const authPgMigrations: Migration[] = [
  {
    id: 'auth-0001-users',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        display_name TEXT NOT NULL,
        password_hash TEXT,
        created_at BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX users_username_key ON users (lower(username));
      CREATE TABLE user_auth (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (provider, provider_id)
      );
      CREATE INDEX user_auth_user ON user_auth(user_id);
    `,
  },
  {
    id: 'auth-0002-refresh-tokens',
    sql: `
      CREATE TABLE refresh_tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        device_name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        revoked_at BIGINT
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
      CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id, expires_at);
    `,
  },
  {
    id: 'auth-0003-disabled-users',
    sql: 'ALTER TABLE users ADD COLUMN disabled_at BIGINT;',
  },
];
