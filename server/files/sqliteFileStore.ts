import type Database from 'better-sqlite3';
import type { Entry } from '../../protocol/api.js';
import { ROOT } from '../../protocol/paths.js';
import { ApiError } from '../errors.js';
import { ChangeFeed, type ChangePage } from './changeFeed.js';
import { InProcessChangeNotifier } from './changeNotifier.js';
import { CommitBatcher } from './commitBatcher.js';
import { ContentRefs } from './contentRefs.js';
import { EntryTable, toEntry } from './entryTable.js';
import type { FileVersion } from '../../protocol/versions.js';
import {
  commitOutcome, DEFAULT_MAX_VERSIONS_PER_FILE, type CommitResult, type FileCommit, type FileStore, type TrashItem, type VersionRestore,
} from './fileStore.js';
import { TrashTable } from './trashTable.js';
import * as tree from './treeOps.js';
import type { TreeTables } from './treeOps.js';
import { runSync } from '../db/steps.js';
import { toFileVersion, VersionTable } from './versionTable.js';

export interface SqliteFileStoreOptions {
  /** Milliseconds since the epoch (trash and change ages, folder mtimes). */
  now?: () => number;
  /** false: each write is its own transaction; only the benchmark wants that. */
  batching?: boolean;
  /** Most writes grouped into one transaction. */
  maxBatch?: number;
  /** Previous versions kept per file; a replace beyond it drops the oldest. Default 100; 0 keeps none. */
  maxVersionsPerFile?: number;
}

/** Rows per statement when many are inserted at once: most of the gain of one statement, a bounded JSON text. */
const INSERT_SLICE = 5_000;

/** The tree's tables on SQLite, every call answered synchronously inside the batcher's transaction. */
function sqliteTreeTables(
  entries: EntryTable, trash: TrashTable, versions: VersionTable, contents: ContentRefs, feed: ChangeFeed, now: () => number, maxVersionsPerFile: number,
): TreeTables {
  return {
    now,
    maxVersionsPerFile,
    entry: (userId, path) => entries.get(userId, path),
    sameKey: (userId, parentPath, key, exceptId) => entries.sameKeyAs(userId, parentPath, key, exceptId),
    subtree: (userId, path) => entries.subtree(userId, path),
    longestPathBytes: (userId, path) => entries.longestPathBytes(userId, path),
    insertEntry: (userId, row) => entries.insert(userId, row),
    replaceContent: (userId, row) => entries.replaceContent(userId, row),
    moveEntry: (userId, row, to, rev) => entries.move(userId, row, to, rev),
    removeEntries: (userId, path) => entries.remove(userId, path),
    putTrash: (userId, trashId, rows, deletedAt) => trash.put(userId, trashId, rows, deletedAt),
    trashItem: (userId, trashId) => trash.get(userId, trashId),
    removeTrash: (trashId) => trash.remove(trashId),
    contentSize: (contentHash) => contents.lookup(contentHash),
    acquireContent: (contentHash) => contents.acquire(contentHash),
    acquireContents: (contentHashes) => contents.acquireMany(contentHashes),
    releaseContent: (contentHash) => contents.release(contentHash),
    nextSeq: (userId) => feed.nextSeq(userId),
    reserveSeqs: (userId, count) => feed.reserve(userId, count),
    insertCreated: (userId, rows) => {
      // In slices: one statement's rows go to SQLite as one JSON text, and restoring a
      // folder of 200,000 entries at once took its peak RSS from ~450 to ~750 MiB.
      for (let first = 0; first < rows.length; first += INSERT_SLICE) {
        const slice = rows.slice(first, first + INSERT_SLICE);
        entries.insertMany(userId, slice);
        feed.recordCreates(userId, slice.map(toEntry));
      }
    },
    recordChange: (userId, seq, op, entry, fromPath) => feed.record(userId, seq, op, entry, fromPath),
    versionWritten: (userId, row, device, at) => versions.written(userId, row, device, at),
    versionsWritten: (userId, written, at) => versions.writtenMany(userId, written, at),
    retireVersion: (userId, entryId, at) => versions.retire(userId, entryId, at),
    forgetCurrentVersion: (userId, entryId) => versions.forgetCurrent(userId, entryId),
    version: (userId, entryId, versionId) => versions.get(userId, entryId, versionId),
    versionsBeyond: (userId, entryId, keep) => versions.beyond(userId, entryId, keep),
    versionsOfEntry: (entryId) => versions.ofPurgedEntry(entryId),
    removeVersion: (versionId) => versions.remove(versionId),
  };
}

/** The FileStore on the service's SQLite database; all writes go through one commit batcher. */
export class SqliteFileStore implements FileStore {
  private readonly entries: EntryTable;
  private readonly trash: TrashTable;
  private readonly versions: VersionTable;
  private readonly contents: ContentRefs;
  private readonly feed: ChangeFeed;
  private readonly notifier = new InProcessChangeNotifier();
  private readonly batcher: CommitBatcher;
  private readonly tables: TreeTables;
  private readonly now: () => number;
  private readonly usage: Database.Statement<[string], number>;

  constructor(private readonly db: Database.Database, options: SqliteFileStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.usage = db.prepare<[string], number>('SELECT bytes FROM file_usage WHERE user_id = ?').pluck();
    this.entries = new EntryTable(db);
    this.trash = new TrashTable(db);
    this.versions = new VersionTable(db);
    this.contents = new ContentRefs(db, this.now);
    this.feed = new ChangeFeed(db, this.now);
    this.tables = sqliteTreeTables(this.entries, this.trash, this.versions, this.contents, this.feed, this.now,
      options.maxVersionsPerFile ?? DEFAULT_MAX_VERSIONS_PER_FILE);
    this.batcher = new CommitBatcher(db, {
      batching: options.batching ?? true,
      ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
      onCommitted: (userIds) => this.notifier.notify(userIds),
    });
  }

  /** The root has no entry: null for "/". */
  async getEntry(userId: string, path: string): Promise<Entry | null> {
    const row = this.entries.get(userId, path);
    return row ? toEntry(row) : null;
  }

  async getEntryById(userId: string, id: string): Promise<Entry | null> {
    const row = this.entries.getById(userId, id);
    return row ? toEntry(row) : null;
  }

  async list(userId: string, folderPath: string): Promise<Entry[]> {
    if (folderPath !== ROOT) {
      const folder = this.entries.get(userId, folderPath);
      if (!folder) throw new ApiError('not_found', `${folderPath} does not exist`);
      if (folder.kind !== 'folder') throw new ApiError('not_a_folder', `${folderPath} is a file, not a folder`);
    }
    return this.entries.list(userId, folderPath).map(toEntry);
  }

  mkdir(userId: string, path: string, mtime?: number): Promise<Entry> {
    return this.batcher.run(userId, () => runSync(tree.mkdir(this.tables, userId, path, mtime)));
  }

  move(userId: string, from: string, to: string, ifRev?: string | null): Promise<Entry> {
    return this.batcher.run(userId, () => runSync(tree.move(this.tables, userId, from, to, ifRev)));
  }

  delete(userId: string, path: string, ifRev?: string | null): Promise<Entry> {
    return this.batcher.run(userId, () => runSync(tree.remove(this.tables, userId, path, ifRev)));
  }

  async listTrash(userId: string): Promise<TrashItem[]> {
    return this.trash.list(userId);
  }

  restore(userId: string, trashId: string, to?: string): Promise<Entry> {
    return this.batcher.run(userId, () => runSync(tree.restore(this.tables, userId, trashId, to)));
  }

  commitFile(userId: string, file: FileCommit): Promise<Entry> {
    return this.batcher.run(userId, () => runSync(tree.commitFile(this.tables, userId, file)));
  }

  commitFiles(userId: string, files: FileCommit[]): Promise<CommitResult[]> {
    return this.batcher.run(userId, () => this.commitEach(userId, files));
  }

  registerAndCommitFiles(userId: string, files: FileCommit[]): Promise<CommitResult[]> {
    return this.batcher.run(userId, () => {
      this.contents.registerMany(files);
      return this.commitEach(userId, files);
    });
  }

  async listVersions(userId: string, path: string): Promise<{ entry: Entry; versions: FileVersion[] }> {
    const row = runSync(tree.requireFile(this.tables, userId, path));
    return { entry: toEntry(row), versions: this.versions.list(userId, row.id).map(toFileVersion) };
  }

  restoreVersion(userId: string, restore: VersionRestore): Promise<Entry> {
    return this.batcher.run(userId, () => runSync(tree.restoreVersion(this.tables, userId, restore)));
  }

  async pruneVersions(before: number): Promise<number> {
    return this.db.transaction(() => runSync(tree.dropVersions(this.tables, this.versions.expired(before))))();
  }

  async usedBytes(userId: string): Promise<number> {
    return this.usage.get(userId) ?? 0;
  }

  async latestCursor(userId: string): Promise<number> {
    return this.feed.lastSeq(userId);
  }

  async changes(userId: string, cursor: number, limit: number): Promise<ChangePage> {
    return this.feed.page(userId, cursor, limit);
  }

  async waitForChange(userId: string, cursor: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.feed.lastSeq(userId) > cursor) return;
    await this.notifier.wait(userId, timeoutMs, signal);
  }

  async hasContent(contentHash: string): Promise<{ size: number } | null> {
    return this.contents.lookup(contentHash);
  }

  async registerContent(contentHash: string, size: number): Promise<void> {
    this.contents.register(contentHash, size);
  }

  async collectableContent(before: number): Promise<string[]> {
    return this.contents.unreferencedBefore(before);
  }

  async isCollectable(contentHash: string, before: number): Promise<boolean> {
    return this.contents.isUnreferencedBefore(contentHash, before);
  }

  async forgetContent(contentHash: string): Promise<void> {
    this.contents.forget(contentHash);
  }

  async purgeTrash(before: number): Promise<number> {
    return this.db.transaction(() => {
      const expired = this.trash.expired(before);
      for (const item of expired) runSync(tree.purgeTrashItem(this.tables, item.trashId, item.rows));
      return expired.length;
    })();
  }

  async pruneChanges(before: number): Promise<number> {
    return this.feed.prune(before);
  }

  /**
   * The files that create new entries all at once (tree.createFiles), the
   * others after them, each in its own savepoint: one refused (precondition,
   * place) rolls back alone. Should writing them together fail, its savepoint
   * rolls back and every file is committed alone.
   */
  private commitEach(userId: string, files: readonly FileCommit[]): CommitResult[] {
    const together = runSync(tree.filesToCreateTogether(this.tables, userId, files));
    const results: (CommitResult | undefined)[] = new Array(files.length);
    if (together.length > 1) {
      try {
        const created = this.db.transaction(() => runSync(tree.createFiles(this.tables, userId, together.map((i) => files[i]!))))();
        created.forEach((entry, k) => { results[together[k]!] = { ok: true, entry }; });
      } catch {
        // Rolled back: the files are committed alone below, and whatever failed fails there with its own answer.
      }
    }
    return files.map((file, i) => results[i] ?? commitOutcome(() => this.db.transaction(() => runSync(tree.commitFile(this.tables, userId, file)))()));
  }
}
