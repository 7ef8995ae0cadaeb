import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Entry } from '../../protocol/api.js';
import { isSameOrBelow, ROOT, utf8Length } from '../../protocol/paths.js';
import { ApiError, isApiError } from '../errors.js';
import { ChangeFeed, type ChangeOp, type ChangePage } from './changeFeed.js';
import { ChangeNotifier } from './changeNotifier.js';
import { CommitBatcher } from './commitBatcher.js';
import { ContentRefs } from './contentRefs.js';
import { checkRebasedLength, EntryTable, rebase, toEntry, type EntryRow } from './entryTable.js';
import type { FileVersion } from '../../protocol/versions.js';
import type { CommitResult, FileCommit, FileStore, TrashItem, VersionRestore } from './fileStore.js';
import { TrashTable } from './trashTable.js';
import { toFileVersion, VersionTable, type VersionRow } from './versionTable.js';

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

/** Previous versions kept per file unless configured (NETDISK_MAX_VERSIONS). */
export const DEFAULT_MAX_VERSIONS_PER_FILE = 100;

/** `ifRev` semantics: undefined = no precondition, null = must not exist, string = must be the current rev. */
function checkRev(current: EntryRow | null, ifRev: string | null | undefined, path: string): void {
  if (ifRev === undefined) return;
  if (ifRev === null ? current === null : current?.rev === ifRev) return;
  const expected = ifRev === null ? 'nothing' : `rev ${ifRev}`;
  throw new ApiError('conflict', `${path} changed: expected ${expected}`, { entry: current ? toEntry(current) : null });
}

/** The FileStore on the service's SQLite database; all writes go through one commit batcher. */
export class SqliteFileStore implements FileStore {
  private readonly entries: EntryTable;
  private readonly trash: TrashTable;
  private readonly versions: VersionTable;
  private readonly maxVersionsPerFile: number;
  private readonly contents: ContentRefs;
  private readonly feed: ChangeFeed;
  private readonly notifier = new ChangeNotifier();
  private readonly batcher: CommitBatcher;
  private readonly now: () => number;
  private readonly usage: Database.Statement<[string], number>;

  constructor(private readonly db: Database.Database, options: SqliteFileStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.usage = db.prepare<[string], number>('SELECT bytes FROM file_usage WHERE user_id = ?').pluck();
    this.entries = new EntryTable(db);
    this.trash = new TrashTable(db);
    this.versions = new VersionTable(db);
    this.maxVersionsPerFile = options.maxVersionsPerFile ?? DEFAULT_MAX_VERSIONS_PER_FILE;
    this.contents = new ContentRefs(db, this.now);
    this.feed = new ChangeFeed(db, this.now);
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
    return this.batcher.run(userId, () => {
      const existing = this.entries.get(userId, path);
      if (existing?.kind === 'folder') return toEntry(existing);
      if (existing) throw new ApiError('already_exists', `${path} exists and is a file`, { entry: toEntry(existing) });
      this.entries.checkPlace(userId, path);
      const seq = this.feed.nextSeq(userId);
      const row: EntryRow = { id: randomUUID(), path, kind: 'folder', size: 0, content_hash: null, rev: String(seq), mtime: mtime ?? this.now() };
      this.entries.insert(userId, row);
      return this.recorded(userId, seq, 'create', row);
    });
  }

  move(userId: string, from: string, to: string, ifRev?: string | null): Promise<Entry> {
    return this.batcher.run(userId, () => {
      const row = this.requireEntry(userId, from);
      checkRev(row, ifRev, from);
      if (from === to) return toEntry(row);
      if (row.kind === 'folder' && isSameOrBelow(to, from)) {
        throw new ApiError('invalid_path', `cannot move the folder ${from} into itself`);
      }
      const occupant = this.entries.get(userId, to);
      if (occupant) throw new ApiError('already_exists', `${to} already exists`, { entry: toEntry(occupant) });
      this.entries.checkPlace(userId, to, row.id);
      checkRebasedLength(this.entries.longestPathBytes(userId, from), from, to);
      const seq = this.feed.nextSeq(userId);
      const moved = this.entries.move(userId, row, to, String(seq));
      return this.recorded(userId, seq, 'move', moved, from);
    });
  }

  delete(userId: string, path: string, ifRev?: string | null): Promise<Entry> {
    return this.batcher.run(userId, () => {
      const row = this.requireEntry(userId, path);
      checkRev(row, ifRev, path);
      this.trash.put(userId, randomUUID(), this.entries.subtree(userId, path), this.now());
      this.entries.remove(userId, path);
      return this.recorded(userId, this.feed.nextSeq(userId), 'delete', row);
    });
  }

  async listTrash(userId: string): Promise<TrashItem[]> {
    return this.trash.list(userId);
  }

  /** Puts a trashed item back, at its old place or at `to`; each restored entry is a `create`, parents first. */
  restore(userId: string, trashId: string, to?: string): Promise<Entry> {
    return this.batcher.run(userId, () => {
      const item = this.trash.get(userId, trashId);
      if (!item) throw new ApiError('not_found', `no trash item ${trashId}`);
      const target = to ?? item.path;
      const occupant = this.entries.get(userId, target);
      if (occupant) throw new ApiError('already_exists', `${target} already exists`, { entry: toEntry(occupant) });
      this.entries.checkPlace(userId, target);
      // A loop, not Math.max(...rows): a spread of a large folder's rows overflows the call stack.
      checkRebasedLength(item.rows.reduce((longest, row) => Math.max(longest, utf8Length(row.path)), 0), item.path, target);
      const restored = item.rows.map((row) => {
        const seq = this.feed.nextSeq(userId);
        const live: EntryRow = { ...row, path: rebase(row.path, item.path, target), rev: String(seq) };
        this.entries.insert(userId, live);
        return this.recorded(userId, seq, 'create', live);
      });
      this.trash.remove(trashId);
      return restored[0]!;
    });
  }

  commitFile(userId: string, file: FileCommit): Promise<Entry> {
    return this.batcher.run(userId, () => this.commitOne(userId, file));
  }

  commitFiles(userId: string, files: FileCommit[]): Promise<CommitResult[]> {
    return this.batcher.run(userId, () => files.map((file): CommitResult => {
      try {
        return { ok: true, entry: this.db.transaction(() => this.commitOne(userId, file))() };
      } catch (error) {
        if (!isApiError(error)) throw error;
        return { ok: false, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
      }
    }));
  }

  async listVersions(userId: string, path: string): Promise<{ entry: Entry; versions: FileVersion[] }> {
    const row = this.requireFile(userId, path);
    return { entry: toEntry(row), versions: this.versions.list(userId, row.id).map(toFileVersion) };
  }

  restoreVersion(userId: string, restore: VersionRestore): Promise<Entry> {
    return this.batcher.run(userId, () => {
      const row = this.requireFile(userId, restore.path);
      checkRev(row, restore.ifRev, restore.path);
      const version = this.versions.get(userId, row.id, restore.versionId);
      if (!version) throw new ApiError('version_not_found', `${restore.path} has no version ${restore.versionId}`);
      if (version.replaced_at === null) return toEntry(row);
      // mtime is now: restoring is a new write, and tools that go by mtime must see the file changed.
      return this.commitOne(userId, {
        path: restore.path, size: version.size, contentHash: version.content_hash, mtime: this.now(), device: restore.device ?? null,
      });
    });
  }

  async pruneVersions(before: number): Promise<number> {
    return this.db.transaction(() => {
      const expired = this.versions.expired(before);
      this.dropVersions(expired);
      return expired.length;
    })();
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

  async registerContents(contents: readonly { contentHash: string; size: number }[]): Promise<void> {
    this.db.transaction(() => {
      for (const { contentHash, size } of contents) this.contents.register(contentHash, size);
    })();
  }

  async collectableContent(before: number): Promise<string[]> {
    return this.contents.unreferencedBefore(before);
  }

  async forgetContent(contentHash: string): Promise<void> {
    this.contents.forget(contentHash);
  }

  async purgeTrash(before: number): Promise<number> {
    return this.db.transaction(() => {
      const expired = this.trash.expired(before);
      for (const item of expired) {
        for (const row of item.rows) {
          if (!row.content_hash) continue;
          this.contents.release(row.content_hash);
          this.dropVersions(this.versions.ofPurgedEntry(row.id));
        }
        this.trash.remove(item.trashId);
      }
      return expired.length;
    })();
  }

  async pruneChanges(before: number): Promise<number> {
    return this.feed.prune(before);
  }

  private commitOne(userId: string, file: FileCommit): Entry {
    const existing = this.entries.get(userId, file.path);
    if (existing?.kind === 'folder') throw new ApiError('not_a_file', `${file.path} is a folder`, { entry: toEntry(existing) });
    checkRev(existing, file.ifRev, file.path);
    if (!existing) this.entries.checkPlace(userId, file.path);
    this.contents.acquire(file.contentHash, file.size);
    const seq = this.feed.nextSeq(userId);
    const row: EntryRow = {
      id: existing?.id ?? randomUUID(),
      path: file.path,
      kind: 'file',
      size: file.size,
      content_hash: file.contentHash,
      rev: String(seq),
      mtime: file.mtime,
    };
    const at = this.now();
    if (existing) {
      if (existing.content_hash === file.contentHash) {
        // The same bytes again: no new version; the entry's reference is the one just acquired.
        this.contents.release(existing.content_hash);
        this.versions.forgetCurrent(userId, existing.id);
      } else {
        // The replaced content becomes a version, taking over the entry's reference to it.
        if (!this.versions.retire(userId, existing.id, at)) this.contents.release(existing.content_hash!);
        this.dropVersions(this.versions.beyond(userId, existing.id, this.maxVersionsPerFile));
      }
      this.versions.written(userId, row, file.device ?? null, at);
      this.entries.replaceContent(userId, row);
      return this.recorded(userId, seq, 'update', row);
    }
    this.entries.insert(userId, row);
    this.versions.written(userId, row, file.device ?? null, at);
    return this.recorded(userId, seq, 'create', row);
  }

  /** Deletes version rows; each previous version releases the content reference it held. */
  private dropVersions(rows: readonly VersionRow[]): void {
    for (const version of rows) {
      this.versions.remove(version.id);
      if (version.replaced_at !== null) this.contents.release(version.content_hash);
    }
  }

  private requireFile(userId: string, path: string): EntryRow {
    const row = this.requireEntry(userId, path);
    if (row.kind !== 'file') throw new ApiError('not_a_file', `${path} is a folder; only files have versions`, { entry: toEntry(row) });
    return row;
  }

  private requireEntry(userId: string, path: string): EntryRow {
    const row = this.entries.get(userId, path);
    if (!row) throw new ApiError('not_found', `${path} does not exist`);
    return row;
  }

  private recorded(userId: string, seq: number, op: ChangeOp, row: EntryRow, fromPath?: string): Entry {
    const entry = toEntry(row);
    this.feed.record(userId, seq, op, entry, fromPath);
    return entry;
  }
}
