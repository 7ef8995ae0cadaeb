import type Database from 'better-sqlite3';
import { SyncError } from '../errors.js';

/**
 * Schema steps; `PRAGMA user_version` counts the applied ones. A shipped step
 * never changes: later changes are appended. Tables keyed by path are
 * WITHOUT ROWID, so a path is stored once (in the key) and the three trees
 * stay small at 100k+ paths.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE base (
    path TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
    size INTEGER NOT NULL,
    content_hash TEXT,
    mtime INTEGER NOT NULL,
    remote_id TEXT NOT NULL,
    rev TEXT NOT NULL,
    inode TEXT
  ) WITHOUT ROWID;

  CREATE TABLE local (
    path TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
    size INTEGER NOT NULL,
    content_hash TEXT,
    mtime INTEGER NOT NULL,
    inode TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE remote (
    path TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
    size INTEGER NOT NULL,
    content_hash TEXT,
    rev TEXT NOT NULL,
    mtime INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'blocked')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error_code TEXT,
    last_error_message TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX jobs_due ON jobs (state, next_attempt_at, id);

  CREATE TABLE job_chunks (
    job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    PRIMARY KEY (job_id, n)
  ) WITHOUT ROWID;
  `,
  // An edit that keeps size and mtime (utimes, coarse clocks) still moves ctime.
  'ALTER TABLE local ADD COLUMN ctime REAL;',
  // Incremental rounds plan a few paths and ask the database, not a whole
  // tree in memory, where a moved inode or entry id went.
  `
  CREATE INDEX local_inode ON local (inode);
  CREATE INDEX base_inode ON base (inode);
  CREATE INDEX base_remote_id ON base (remote_id);
  `,
  // Selective sync: the remote folders this computer does not keep (or is
  // letting go of) and the top-level ones it keeps on purpose (folderRules.ts).
  `
  CREATE TABLE folder_rules (
    path TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('leaving', 'excluded', 'kept'))
  ) WITHOUT ROWID;
  `,
];

/** Brings the database to the newest schema, one transaction per step. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new SyncError('internal', `the state database has schema ${version}, newer than this app knows (${MIGRATIONS.length})`);
  }
  for (let step = version; step < MIGRATIONS.length; step++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[step]!);
      db.pragma(`user_version = ${step + 1}`);
    })();
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;
