import type { Entry } from '../../protocol/api.js';
import { ROOT } from '../../protocol/paths.js';
import type { PgDatabase, Sql } from '../db/postgres.js';
import { ApiError } from '../errors.js';
import { checkCursor, toPage, type ChangePage, type ChangeRow } from './changeFeed.js';
import type { ChangeNotifier } from './changeNotifier.js';
import { toEntry, type EntryRow } from './entryTable.js';
import type { FileVersion } from '../../protocol/versions.js';
import {
  commitOutcome, DEFAULT_MAX_VERSIONS_PER_FILE, type CommitResult, type FileCommit, type FileStore, type TrashItem, type VersionRestore,
} from './fileStore.js';
import { inSavepoint, PgCommitBatcher } from './pgCommitBatcher.js';
import { pgTreeTables, trashRows } from './pgTreeTables.js';
import * as tree from './treeOps.js';
import type { TreeTables } from './treeOps.js';
import { runAsync, type Steps } from '../db/steps.js';
import { toFileVersion, VERSION_COLUMNS, type VersionRow } from './versionTable.js';

const COLUMNS = 'id, path, kind, size, content_hash, rev, mtime';

/**
 * The FileStore on PostgreSQL, shared by every node. Writes go through this
 * node's PgCommitBatcher (see there for the per-user locking that keeps the
 * feed gap-free and `ifRev` exact across nodes); reads go straight to the pool.
 */
export class PgFileStore implements FileStore {
  private readonly batcher: PgCommitBatcher;
  private readonly maxVersionsPerFile: number;

  /** `options.maxVersionsPerFile`: previous versions kept per file (default 100; 0 keeps none). */
  constructor(
    private readonly db: PgDatabase, private readonly notifier: ChangeNotifier, private readonly now: () => number,
    options: { maxVersionsPerFile?: number } = {},
  ) {
    this.maxVersionsPerFile = options.maxVersionsPerFile ?? DEFAULT_MAX_VERSIONS_PER_FILE;
    this.batcher = new PgCommitBatcher(db, { onCommitted: (userIds) => notifier.notify(userIds) });
  }

  async getEntry(userId: string, path: string): Promise<Entry | null> {
    const row = await this.one<EntryRow>(`SELECT ${COLUMNS} FROM file_entries WHERE user_id = $1 AND path = $2`, [userId, path]);
    return row ? toEntry(row) : null;
  }

  async getEntryById(userId: string, id: string): Promise<Entry | null> {
    const row = await this.one<EntryRow>(`SELECT ${COLUMNS} FROM file_entries WHERE user_id = $1 AND id = $2`, [userId, id]);
    return row ? toEntry(row) : null;
  }

  async list(userId: string, folderPath: string): Promise<Entry[]> {
    if (folderPath !== ROOT) {
      const folder = await this.getEntry(userId, folderPath);
      if (!folder) throw new ApiError('not_found', `${folderPath} does not exist`);
      if (folder.kind !== 'folder') throw new ApiError('not_a_folder', `${folderPath} is a file, not a folder`);
    }
    const { rows } = await this.db.query<EntryRow>(`SELECT ${COLUMNS} FROM file_entries WHERE user_id = $1 AND parent_path = $2 ORDER BY name`,
      [userId, folderPath]);
    return rows.map(toEntry);
  }

  mkdir(userId: string, path: string, mtime?: number): Promise<Entry> {
    return this.write(userId, (t) => tree.mkdir(t, userId, path, mtime));
  }

  move(userId: string, from: string, to: string, ifRev?: string | null): Promise<Entry> {
    return this.write(userId, (t) => tree.move(t, userId, from, to, ifRev));
  }

  delete(userId: string, path: string, ifRev?: string | null): Promise<Entry> {
    return this.write(userId, (t) => tree.remove(t, userId, path, ifRev));
  }

  async listTrash(userId: string): Promise<TrashItem[]> {
    const { rows } = await this.db.query<EntryRow & { trash_id: string; deleted_at: number }>(`
      SELECT t.id AS trash_id, t.deleted_at, e.id, e.path, e.kind, e.size, e.content_hash, e.rev, e.mtime
      FROM file_trash t JOIN file_trash_entries e ON e.trash_id = t.id AND e.path = t.path
      WHERE t.user_id = $1 ORDER BY t.deleted_at DESC, t.id`, [userId]);
    return rows.map((row) => ({ trashId: row.trash_id, deletedAt: row.deleted_at, entry: toEntry(row) }));
  }

  restore(userId: string, trashId: string, to?: string): Promise<Entry> {
    return this.write(userId, (t) => tree.restore(t, userId, trashId, to));
  }

  commitFile(userId: string, file: FileCommit): Promise<Entry> {
    return this.write(userId, (t) => tree.commitFile(t, userId, file));
  }

  commitFiles(userId: string, files: FileCommit[]): Promise<CommitResult[]> {
    return this.batcher.run(userId, (tx) => this.commitEach(tx, userId, files));
  }

  registerAndCommitFiles(userId: string, files: FileCommit[]): Promise<CommitResult[]> {
    return this.batcher.run(userId, async (tx) => {
      await this.registerIn(tx, files);
      return this.commitEach(tx, userId, files);
    });
  }

  async listVersions(userId: string, path: string): Promise<{ entry: Entry; versions: FileVersion[] }> {
    // A read: the tables on the pool, outside any transaction.
    const row = await runAsync(tree.requireFile(this.tables(this.db), userId, path));
    const { rows } = await this.db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM file_versions WHERE user_id = $1 AND entry_id = $2 ORDER BY seq DESC`,
      [userId, row.id]);
    return { entry: toEntry(row), versions: rows.map(toFileVersion) };
  }

  restoreVersion(userId: string, restore: VersionRestore): Promise<Entry> {
    return this.write(userId, (t) => tree.restoreVersion(t, userId, restore));
  }

  /** Each user's expired versions go under that user's lock, as a commit pruning by count takes it. */
  async pruneVersions(before: number): Promise<number> {
    const { rows } = await this.db.query<{ user_id: string }>('SELECT DISTINCT user_id FROM file_versions WHERE replaced_at < $1', [before]);
    let pruned = 0;
    for (const { user_id: userId } of rows) {
      pruned += await this.batcher.run(userId, async (tx) => {
        const expired = (await tx.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM file_versions WHERE user_id = $1 AND replaced_at < $2`,
          [userId, before])).rows;
        return runAsync(tree.dropVersions(this.tables(tx), expired));
      });
    }
    return pruned;
  }

  async usedBytes(userId: string): Promise<number> {
    return (await this.one<{ bytes: number }>('SELECT bytes FROM file_usage WHERE user_id = $1', [userId]))?.bytes ?? 0;
  }

  async latestCursor(userId: string): Promise<number> {
    return (await this.feedState(userId)).last_seq;
  }

  async changes(userId: string, cursor: number, limit: number): Promise<ChangePage> {
    checkCursor(cursor, (await this.feedState(userId)).pruned_through);
    const { rows } = await this.db.query<ChangeRow>(`SELECT seq, op, path, from_path, entry FROM file_changes
      WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [userId, cursor, limit + 1]);
    return toPage(rows, cursor, limit);
  }

  /** The waiter is registered before the feed is read: a commit landing in between still wakes it. */
  async waitForChange(userId: string, cursor: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const waiting = this.notifier.wait(userId, timeoutMs, signal ? AbortSignal.any([signal, stop.signal]) : stop.signal);
    if ((await this.feedState(userId)).last_seq > cursor) stop.abort();
    await waiting;
  }

  async hasContent(contentHash: string): Promise<{ size: number } | null> {
    return (await this.one<{ size: number }>('SELECT size FROM file_contents WHERE content_hash = $1', [contentHash])) ?? null;
  }

  async registerContent(contentHash: string, size: number): Promise<void> {
    await this.db.transaction((tx) => this.registerIn(tx, [{ contentHash, size }]));
  }

  /** Registering again restarts the grace period of unreferenced content. Sorted: two nodes registering the same hashes lock them in one order. */
  private async registerIn(tx: Sql, contents: readonly { contentHash: string; size: number }[]): Promise<void> {
    const sorted = [...new Map(contents.map((c) => [c.contentHash, c.size])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await tx.query(`
      INSERT INTO file_contents (content_hash, size, refcount, unreferenced_since)
      SELECT h, s, 0, $3::bigint FROM unnest($1::text[], $2::bigint[]) AS c(h, s)
      ON CONFLICT (content_hash) DO UPDATE SET unreferenced_since =
        CASE WHEN file_contents.refcount = 0 THEN excluded.unreferenced_since ELSE NULL END`,
    [sorted.map(([hash]) => hash), sorted.map(([, size]) => size), this.now()]);
  }

  /**
   * As SqliteFileStore.commitEach: the new files in a few statements
   * together, then the others each in a savepoint of its own, so one refused
   * file is rolled back alone.
   */
  private async commitEach(tx: Sql, userId: string, files: readonly FileCommit[]): Promise<CommitResult[]> {
    const tables = this.tables(tx);
    const together = await runAsync(tree.filesToCreateTogether(tables, userId, files));
    const results: (CommitResult | undefined)[] = new Array(files.length);
    if (together.length > 1) {
      const outcome = await inSavepoint(tx, () => runAsync(tree.createFiles(tables, userId, together.map((i) => files[i]!))));
      if (outcome.ok) (outcome.value as Entry[]).forEach((entry, k) => { results[together[k]!] = { ok: true, entry }; });
    }
    for (const [i, file] of files.entries()) {
      results[i] ??= await commitOutcome(async () => {
        const outcome = await inSavepoint(tx, () => runAsync(tree.commitFile(tables, userId, file)));
        if (!outcome.ok) throw outcome.error;
        return outcome.value as Entry;
      });
    }
    return results as CommitResult[];
  }

  async collectableContent(before: number): Promise<string[]> {
    const { rows } = await this.db.query<{ content_hash: string }>(`SELECT content_hash FROM file_contents
      WHERE refcount = 0 AND unreferenced_since < $1 ORDER BY unreferenced_since`, [before]);
    return rows.map((row) => row.content_hash);
  }

  async isCollectable(contentHash: string, before: number): Promise<boolean> {
    return (await this.one('SELECT 1 FROM file_contents WHERE content_hash = $1 AND refcount = 0 AND unreferenced_since < $2', [contentHash, before])) !== undefined;
  }

  async forgetContent(contentHash: string): Promise<void> {
    await this.db.query('DELETE FROM file_contents WHERE content_hash = $1 AND refcount = 0', [contentHash]);
  }

  /**
   * Deletes trash items older than `before`, releasing their content and
   * dropping their files' versions. Each user's items go under that user's
   * lock, as a commit would take it: a restore of the same item on another
   * node runs before or after, never half-way.
   */
  async purgeTrash(before: number): Promise<number> {
    const { rows } = await this.db.query<{ user_id: string }>('SELECT DISTINCT user_id FROM file_trash WHERE deleted_at < $1', [before]);
    let purged = 0;
    for (const { user_id: userId } of rows) {
      purged += await this.batcher.run(userId, async (tx) => {
        const items = (await tx.query<{ id: string }>('SELECT id FROM file_trash WHERE user_id = $1 AND deleted_at < $2', [userId, before])).rows;
        const tables = this.tables(tx);
        for (const { id } of items) await runAsync(tree.purgeTrashItem(tables, id, await trashRows(tx, id)));
        return items.length;
      });
    }
    return purged;
  }

  /** Marks each user's feed pruned through its last dropped change, then drops them. */
  async pruneChanges(before: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query(`UPDATE file_feeds SET pruned_through = GREATEST(pruned_through, pruned.seq)
        FROM (SELECT user_id, max(seq) AS seq FROM file_changes WHERE created_at < $1 GROUP BY user_id) AS pruned
        WHERE file_feeds.user_id = pruned.user_id`, [before]);
      return (await tx.query('DELETE FROM file_changes WHERE created_at < $1', [before])).rowCount ?? 0;
    });
  }

  /** Lets commits in flight finish (the app closes the pool after). */
  idle(): Promise<void> {
    return this.batcher.idle();
  }

  private tables(tx: Sql): TreeTables {
    return pgTreeTables(tx, this.now, this.maxVersionsPerFile);
  }

  private write(userId: string, operation: (tables: TreeTables) => Steps<Entry>): Promise<Entry> {
    return this.batcher.run(userId, (tx) => runAsync(operation(this.tables(tx))));
  }

  private async feedState(userId: string): Promise<{ last_seq: number; pruned_through: number }> {
    return (await this.one<{ last_seq: number; pruned_through: number }>('SELECT last_seq, pruned_through FROM file_feeds WHERE user_id = $1', [userId]))
      ?? { last_seq: 0, pruned_through: 0 };
  }

  private async one<R extends object>(text: string, values: readonly unknown[]): Promise<R | undefined> {
    return (await this.db.query<R & Record<string, unknown>>(text, values)).rows[0];
  }
}
