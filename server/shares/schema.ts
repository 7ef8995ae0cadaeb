import type { Migration } from '../db/migrate.js';

/** Share links. Depends on `auth-0001-users` for the users table. */
export const sharesMigrations: Migration[] = [
  {
    id: 'shares-0001-links',
    sql: `
      CREATE TABLE shares (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        -- By id, not path: the link follows the entry when it is moved.
        entry_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
        -- The entry's name when shared, to list the link after the entry is deleted.
        name TEXT NOT NULL,
        code TEXT,
        -- Signs this link's access tokens; per link, so no secret is shared between links or processes.
        token_key BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        max_downloads INTEGER CHECK (max_downloads > 0),
        downloads INTEGER NOT NULL DEFAULT 0,
        revoked_at INTEGER
      );
      CREATE INDEX shares_user ON shares(user_id, created_at);
    `,
  },
];

/** The same step on PostgreSQL (the token key as BYTEA, times in BIGINT milliseconds). */
export const sharesPgMigrations: Migration[] = [
  {
    id: 'shares-0001-links',
    sql: `
      CREATE TABLE shares (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        entry_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
        name TEXT NOT NULL,
        code TEXT,
        token_key BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        max_downloads INTEGER CHECK (max_downloads > 0),
        downloads INTEGER NOT NULL DEFAULT 0,
        revoked_at BIGINT
      );
      CREATE INDEX shares_user ON shares(user_id, created_at);
    `,
  },
];
