import type { Migration } from '../db/migrate.js';

/** Chunked upload sessions and the chunks each has durably received. */
export const uploadMigrations: Migration[] = [
  {
    id: 'uploads-0001-sessions',
    sql: `
      CREATE TABLE upload_sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        block_hashes TEXT NOT NULL,
        mtime INTEGER NOT NULL,
        -- ifRev has three states: absent (no precondition), null (must not exist), a rev.
        has_if_rev INTEGER NOT NULL CHECK (has_if_rev IN (0, 1)),
        if_rev TEXT,
        chunk_size INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX upload_sessions_user ON upload_sessions(user_id);
      CREATE INDEX upload_sessions_expires ON upload_sessions(expires_at);
      CREATE TABLE upload_chunks (
        upload_id TEXT NOT NULL REFERENCES upload_sessions(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        PRIMARY KEY (upload_id, n)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Possession challenges of instant upload: in the database, so any node takes the answer to one another issued.
    id: 'uploads-0002-challenges',
    sql: `
      CREATE TABLE upload_challenges (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        content_hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        range_offset INTEGER NOT NULL,
        range_length INTEGER NOT NULL,
        nonce TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX upload_challenges_expires ON upload_challenges(expires_at);
    `,
  },
];

/** The same steps on PostgreSQL (sizes and times in BIGINT). */
export const uploadPgMigrations: Migration[] = [
  {
    id: 'uploads-0001-sessions',
    sql: `
      CREATE TABLE upload_sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        size BIGINT NOT NULL,
        content_hash TEXT NOT NULL,
        block_hashes TEXT NOT NULL,
        mtime BIGINT NOT NULL,
        has_if_rev SMALLINT NOT NULL CHECK (has_if_rev IN (0, 1)),
        if_rev TEXT,
        chunk_size BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX upload_sessions_user ON upload_sessions(user_id);
      CREATE INDEX upload_sessions_expires ON upload_sessions(expires_at);
      CREATE INDEX upload_sessions_content ON upload_sessions(content_hash);
      CREATE TABLE upload_chunks (
        upload_id TEXT NOT NULL REFERENCES upload_sessions(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        PRIMARY KEY (upload_id, n)
      );
    `,
  },
  {
    id: 'uploads-0002-challenges',
    sql: `
      CREATE TABLE upload_challenges (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        content_hash TEXT NOT NULL,
        size BIGINT NOT NULL,
        range_offset BIGINT NOT NULL,
        range_length BIGINT NOT NULL,
        nonce TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX upload_challenges_expires ON upload_challenges(expires_at);
    `,
  },
];
