import type { Migration } from '../db/migrate.js';

/** Accounts and the provider identities linked to them (password, QQ, OIDC). */
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
];
