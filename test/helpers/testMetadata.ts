import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allMigrations } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { DATABASE_FILE, openMetadata, type Metadata } from '../../server/metadata.js';
import { queryDatabase } from './serverDb.js';
import { dropTestDatabase, freshDatabaseUrl } from './testDatabase.js';

export interface TestMetadata {
  metadata: Metadata;
  /** Another handle on the same database with its own connections: on PostgreSQL, what a second node has. */
  open(): Promise<Metadata>;
  /** One statement on the database (`?` placeholders), for what the ports do not show. */
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Every metadata store on a fresh database of the run's kind (testDatabase.ts):
 * SQLite in a temp folder, or a fresh PostgreSQL database. `now` is the
 * stores' clock.
 */
export async function openTestMetadata(now: () => number = Date.now): Promise<TestMetadata> {
  const dataDir = mkdtempSync(join(tmpdir(), 'netdisk-metadata-'));
  const config = loadConfig(['--data', dataDir], {});
  const databaseUrl = await freshDatabaseUrl();
  if (databaseUrl !== undefined) config.databaseUrl = databaseUrl;
  const handles: Metadata[] = [];
  const open = async (): Promise<Metadata> => {
    const handle = await openMetadata(config, allMigrations(), now);
    handles.push(handle);
    return handle;
  };
  return {
    metadata: await open(),
    open,
    query: (sql, params = []) => queryDatabase({ databaseUrl, sqliteFile: join(dataDir, DATABASE_FILE) }, sql, params),
    async close() {
      for (const handle of handles) await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestDatabase(databaseUrl);
    },
  };
}
