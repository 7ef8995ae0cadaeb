import { timeOrderedUuid } from '../db/orderedIds.js';
import type Database from 'better-sqlite3';
import type { FileVersion } from '../../protocol/versions.js';
import type { EntryRow } from './entryTable.js';

/** A stored version row: a previous version, or (replaced_at null) a file's current content. */
export interface VersionRow {
  id: string;
  size: number;
  content_hash: string;
  mtime: number;
  device: string | null;
  written_at: number;
  replaced_at: number | null;
}

export const VERSION_COLUMNS = 'id, size, content_hash, mtime, device, written_at, replaced_at';

export function toFileVersion(row: VersionRow): FileVersion {
  return {
    versionId: row.id,
    size: row.size,
    contentHash: row.content_hash,
    mtime: row.mtime,
    writtenAt: row.written_at,
    device: row.device,
    current: row.replaced_at === null,
  };
}

/**
 * 32 hex digits, time-ordered (see timeOrderedUuid): new versions go to the
 * right edge of the id index. randomBytes(16) per id once cost a call to the
 * random source per committed file (~3 % of the service's CPU in a
 * 5,000-file batch upload); timeOrderedUuid draws on randomUUID's cache.
 */
export function newVersionId(): string {
  return timeOrderedUuid().replaceAll('-', '');
}

/**
 * The version history of every file entry (live or in the trash), keyed by
 * the entry's id so it follows moves. Each file has one current row (who
 * wrote its content, and when; it holds no content reference: the entry
 * does); a replace retires it, handing the entry's reference over to it.
 * Every statement a user's request reaches is scoped by user; maintenance
 * (expiry, purge) works across users.
 */
export class VersionTable {
  private readonly insertRow: Database.Statement;
  private readonly insertRows: Database.Statement;
  private readonly retireCurrent: Database.Statement;
  private readonly deleteCurrent: Database.Statement;
  private readonly rowsOf: Database.Statement;
  private readonly oneOf: Database.Statement;
  private readonly beyondNewest: Database.Statement;
  private readonly replacedBefore: Database.Statement;
  private readonly deleteRow: Database.Statement;
  private readonly rowsOfEntry: Database.Statement;

  constructor(db: Database.Database) {
    this.insertRow = db.prepare(`
      INSERT INTO file_versions (id, user_id, entry_id, size, content_hash, mtime, device, written_at)
      VALUES (@id, @userId, @entryId, @size, @content_hash, @mtime, @device, @writtenAt)`);
    this.insertRows = db.prepare(`
      INSERT INTO file_versions (id, user_id, entry_id, size, content_hash, mtime, device, written_at)
      SELECT value->>0, ?, value->>1, value->>2, value->>3, value->>4, value->>5, ? FROM json_each(?)`);
    this.retireCurrent = db.prepare('UPDATE file_versions SET replaced_at = ? WHERE user_id = ? AND entry_id = ? AND replaced_at IS NULL');
    this.deleteCurrent = db.prepare('DELETE FROM file_versions WHERE user_id = ? AND entry_id = ? AND replaced_at IS NULL');
    this.rowsOf = db.prepare(`SELECT ${VERSION_COLUMNS} FROM file_versions WHERE user_id = ? AND entry_id = ? ORDER BY seq DESC`);
    this.oneOf = db.prepare(`SELECT ${VERSION_COLUMNS} FROM file_versions WHERE user_id = ? AND entry_id = ? AND id = ?`);
    // Previous versions past the newest `keep` of one file (LIMIT -1: no limit).
    this.beyondNewest = db.prepare(`
      SELECT ${VERSION_COLUMNS} FROM file_versions WHERE user_id = ? AND entry_id = ? AND replaced_at IS NOT NULL
      ORDER BY seq DESC LIMIT -1 OFFSET ?`);
    this.replacedBefore = db.prepare(`SELECT ${VERSION_COLUMNS} FROM file_versions WHERE replaced_at IS NOT NULL AND replaced_at < ?`);
    this.deleteRow = db.prepare('DELETE FROM file_versions WHERE id = ?');
    this.rowsOfEntry = db.prepare(`SELECT ${VERSION_COLUMNS} FROM file_versions WHERE entry_id = ?`);
  }

  /** Records who wrote `row`'s content (the entry's new current content). */
  written(userId: string, row: EntryRow, device: string | null, at: number): void {
    this.insertRow.run({ ...row, id: newVersionId(), userId, entryId: row.id, device, writtenAt: at });
  }

  /** written for many new files at once, in order. */
  writtenMany(userId: string, written: readonly { row: EntryRow; device: string | null }[], at: number): void {
    this.insertRows.run(userId, at, JSON.stringify(written.map(({ row, device }) => [newVersionId(), row.id, row.size, row.content_hash, row.mtime, device])));
  }

  /**
   * The current content of `entryId` becomes a previous version, replaced at
   * `at`; from now on it holds the content reference the entry held. False
   * when the file had no current row, so nothing took the reference over.
   */
  retire(userId: string, entryId: string, at: number): boolean {
    return this.retireCurrent.run(at, userId, entryId).changes === 1;
  }

  /** Forgets who wrote the current content (it is being written again, unchanged). */
  forgetCurrent(userId: string, entryId: string): void {
    this.deleteCurrent.run(userId, entryId);
  }

  /** A file's rows, newest first: the current one, then its previous versions. */
  list(userId: string, entryId: string): VersionRow[] {
    return this.rowsOf.all(userId, entryId) as VersionRow[];
  }

  get(userId: string, entryId: string, versionId: string): VersionRow | null {
    return (this.oneOf.get(userId, entryId, versionId) as VersionRow | undefined) ?? null;
  }

  /** Previous versions of a file beyond its newest `keep`: to be pruned. */
  beyond(userId: string, entryId: string, keep: number): VersionRow[] {
    return this.beyondNewest.all(userId, entryId, keep) as VersionRow[];
  }

  /** Previous versions (of every user) replaced before `before`. */
  expired(before: number): VersionRow[] {
    return this.replacedBefore.all(before) as VersionRow[];
  }

  /** Every row of an entry that is gone for good (its trash item was purged); entry ids are never reused. */
  ofPurgedEntry(entryId: string): VersionRow[] {
    return this.rowsOfEntry.all(entryId) as VersionRow[];
  }

  remove(versionId: string): boolean {
    return this.deleteRow.run(versionId).changes === 1;
  }
}
