import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PgRefreshTokenTable } from './auth/pgRefreshTokens.js';
import { PgUserStore } from './auth/pgUserStore.js';
import type { RefreshTokenTable } from './auth/refreshTokens.js';
import { SqliteRefreshTokenTable } from './auth/sqliteRefreshTokens.js';
import { SqliteUserStore, type UserStore } from './auth/userStore.js';
import type { ServerConfig } from './config.js';
import { migrate, migratePostgres, type Migration } from './db/migrate.js';
import { PgDatabase } from './db/postgres.js';
import { openSqlite } from './db/sqlite.js';
import type { FileStore } from './files/fileStore.js';
import { PgChangeNotifier } from './files/pgChangeNotifier.js';
import { PgFileStore } from './files/pgFileStore.js';
import { SqliteFileStore } from './files/sqliteFileStore.js';
import type { FlowTable } from './oauth/flowStore.js';
import { PgFlowTable } from './oauth/pgFlowTable.js';
import { PgProviderIdentities } from './oauth/pgProviderIdentities.js';
import { SqliteProviderIdentities, type ProviderIdentities } from './oauth/providerIdentities.js';
import { SqliteFlowTable } from './oauth/sqliteFlowTable.js';
import { PgShareStore } from './shares/pgShareStore.js';
import { SqliteShareStore, type ShareStore } from './shares/shareStore.js';
import { PgChallengeStore, SqliteChallengeStore, type ChallengeStore } from './uploads/challengeStore.js';
import { PgUploadSessionStore } from './uploads/pgSessionStore.js';
import { SqliteUploadSessionStore, type UploadSessionStore } from './uploads/sessionStore.js';

/** The service's SQLite database, in the data folder. */
export const DATABASE_FILE = 'netdisk.sqlite';

/** Each module's schema steps, in both dialects. */
export interface ModuleMigrations {
  sqlite: readonly Migration[];
  postgres: readonly Migration[];
}

/**
 * Every store the service keeps its metadata in, on one database: SQLite in
 * the data folder (the default, one process) or PostgreSQL
 * (NETDISK_DATABASE_URL, shared by any number of nodes). Chosen once, here;
 * the modules see only the ports.
 */
export interface Metadata {
  dialect: 'sqlite' | 'postgres';
  files: FileStore;
  users: UserStore;
  refreshTokens: RefreshTokenTable;
  flows: FlowTable;
  identities: ProviderIdentities;
  uploadSessions: UploadSessionStore;
  shares: ShareStore;
  /** Outstanding instant-upload possession challenges. */
  challenges: ChallengeStore;
  /** Lets writes in flight finish, then closes the database. */
  close(): Promise<void>;
}

/** Applies the schema steps not yet applied, and nothing else: `netdisk-server migrate`. Returns the ids applied. */
export async function migrateMetadata(config: ServerConfig, migrations: ModuleMigrations): Promise<string[]> {
  if (config.databaseUrl) {
    const db = new PgDatabase(config.databaseUrl, { maxConnections: 1 });
    try {
      return await migratePostgres(db, migrations.postgres);
    } finally {
      await db.close();
    }
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = openSqlite(join(config.dataDir, DATABASE_FILE), []);
  try {
    const before = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as string[]);
    migrate(db, migrations.sqlite);
    return migrations.sqlite.map((step) => step.id).filter((id) => !before.has(id));
  } finally {
    db.close();
  }
}

/** Opens the configured database, applies its pending schema steps, and builds the stores on it. */
export async function openMetadata(config: ServerConfig, migrations: ModuleMigrations, now: () => number): Promise<Metadata> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config, migrations.postgres, now) : openSqliteMetadata(config, migrations.sqlite, now);
}

function openSqliteMetadata(config: ServerConfig, migrations: readonly Migration[], now: () => number): Metadata {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = openSqlite(join(config.dataDir, DATABASE_FILE), migrations);
  return {
    dialect: 'sqlite',
    files: new SqliteFileStore(db, { now, maxVersionsPerFile: config.versions.maxPerFile }),
    users: new SqliteUserStore(db, now),
    refreshTokens: new SqliteRefreshTokenTable(db),
    flows: new SqliteFlowTable(db),
    identities: new SqliteProviderIdentities(db, now),
    uploadSessions: new SqliteUploadSessionStore(db),
    shares: new SqliteShareStore(db),
    challenges: new SqliteChallengeStore(db),
    async close() {
      db.close();
    },
  };
}

async function openPostgres(url: string, config: ServerConfig, migrations: readonly Migration[], now: () => number): Promise<Metadata> {
  const db = new PgDatabase(url);
  try {
    await migratePostgres(db, migrations);
    const notifier = new PgChangeNotifier(db);
    await notifier.start();
    const files = new PgFileStore(db, notifier, now, { maxVersionsPerFile: config.versions.maxPerFile });
    return {
      dialect: 'postgres',
      files,
      users: new PgUserStore(db, now),
      refreshTokens: new PgRefreshTokenTable(db),
      flows: new PgFlowTable(db),
      identities: new PgProviderIdentities(db, now),
      uploadSessions: new PgUploadSessionStore(db),
      shares: new PgShareStore(db),
      challenges: new PgChallengeStore(db),
      async close() {
        await files.idle();
        await notifier.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
