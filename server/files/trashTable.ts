import type Database from 'better-sqlite3';
import type { TrashItem } from './fileStore.js';
import { toEntry, type EntryRow } from './entryTable.js';

export interface TrashedItem {
  path: string;
  /** The item's entries as they were deleted, parents before children. */
  rows: EntryRow[];
}

const ENTRY_COLUMNS = 'e.id, e.path, e.kind, e.size, e.content_hash, e.rev, e.mtime';

/**
 * Deleted entries, each delete kept as one item with its subtree. Trashed
 * file rows keep their content references until the item is purged.
 */
export class TrashTable {
  private readonly insertItem: Database.Statement;
  private readonly insertEntry: Database.Statement;
  private readonly listItems: Database.Statement;
  private readonly itemPath: Database.Statement;
  private readonly itemRows: Database.Statement;
  private readonly deleteItem: Database.Statement;
  private readonly expiredIds: Database.Statement;

  constructor(db: Database.Database) {
    this.insertItem = db.prepare('INSERT INTO file_trash (id, user_id, path, deleted_at) VALUES (?, ?, ?, ?)');
    this.insertEntry = db.prepare(`
      INSERT INTO file_trash_entries (trash_id, id, path, kind, size, content_hash, rev, mtime)
      VALUES (@trashId, @id, @path, @kind, @size, @content_hash, @rev, @mtime)`);
    this.listItems = db.prepare(`
      SELECT t.id AS trashId, t.deleted_at AS deletedAt, ${ENTRY_COLUMNS}
      FROM file_trash t JOIN file_trash_entries e ON e.trash_id = t.id AND e.path = t.path
      WHERE t.user_id = ? ORDER BY t.deleted_at DESC, t.id`);
    this.itemPath = db.prepare('SELECT path FROM file_trash WHERE id = ? AND user_id = ?').pluck();
    this.itemRows = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM file_trash_entries e WHERE e.trash_id = ? ORDER BY e.path`);
    this.deleteItem = db.prepare('DELETE FROM file_trash WHERE id = ?');
    this.expiredIds = db.prepare('SELECT id FROM file_trash WHERE deleted_at < ?').pluck();
  }

  put(userId: string, trashId: string, rows: EntryRow[], deletedAt: number): void {
    this.insertItem.run(trashId, userId, rows[0]!.path, deletedAt);
    for (const row of rows) this.insertEntry.run({ ...row, trashId });
  }

  list(userId: string): TrashItem[] {
    return (this.listItems.all(userId) as (EntryRow & { trashId: string; deletedAt: number })[])
      .map((row) => ({ trashId: row.trashId, deletedAt: row.deletedAt, entry: toEntry(row) }));
  }

  get(userId: string, trashId: string): TrashedItem | null {
    const path = this.itemPath.get(trashId, userId) as string | undefined;
    if (path === undefined) return null;
    return { path, rows: this.itemRows.all(trashId) as EntryRow[] };
  }

  remove(trashId: string): void {
    this.deleteItem.run(trashId);
  }

  /** Items deleted before `before`, with their rows (to release their content). */
  expired(before: number): { trashId: string; rows: EntryRow[] }[] {
    return (this.expiredIds.all(before) as string[]).map((trashId) => ({ trashId, rows: this.itemRows.all(trashId) as EntryRow[] }));
  }
}
