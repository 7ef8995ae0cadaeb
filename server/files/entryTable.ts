import type Database from 'better-sqlite3';
import type { Entry } from '../../protocol/api.js';
import { MAX_PATH_BYTES, nameOf, parentOf, utf8Length } from '../../protocol/paths.js';
import { ApiError } from '../errors.js';

export interface EntryRow {
  id: string;
  path: string;
  kind: Entry['kind'];
  size: number;
  content_hash: string | null;
  rev: string;
  mtime: number;
}

const COLUMNS = 'id, path, kind, size, content_hash, rev, mtime';

/** Names in one folder may not differ only in case: most desktop file systems could not hold both. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

export function toEntry(row: EntryRow): Entry {
  return {
    id: row.id,
    path: row.path,
    name: nameOf(row.path),
    kind: row.kind,
    size: row.size,
    contentHash: row.content_hash,
    rev: row.rev,
    mtime: row.mtime,
  };
}

/**
 * Refuses to move a subtree whose longest path, `longestBytes` long below
 * `from`, would grow past the path limit below `to`: the entries could not be
 * listed, downloaded or named by a client afterwards.
 */
export function checkRebasedLength(longestBytes: number, from: string, to: string): void {
  const grown = longestBytes - utf8Length(from) + utf8Length(to);
  if (grown > MAX_PATH_BYTES) {
    throw new ApiError('invalid_path', `below ${to}, an entry's path would be ${grown} bytes, longer than ${MAX_PATH_BYTES}`);
  }
}

/** `path` of an entry at or below `from`, moved to below `to`. */
export function rebase(path: string, from: string, to: string): string {
  return to + path.slice(from.length);
}

/** The live tree of every user, one row per entry; every statement is scoped by user. */
export class EntryTable {
  private readonly byPath: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly children: Database.Statement;
  private readonly sameKey: Database.Statement;
  private readonly subtreeRows: Database.Statement;
  private readonly insertRow: Database.Statement;
  private readonly insertRows: Database.Statement;
  private readonly updateFile: Database.Statement;
  private readonly renameRow: Database.Statement;
  private readonly rebaseDescendants: Database.Statement;
  private readonly deleteRows: Database.Statement;
  private readonly longestPath: Database.Statement<{ userId: string; path: string }, number | null>;

  constructor(db: Database.Database) {
    this.byPath = db.prepare(`SELECT ${COLUMNS} FROM file_entries WHERE user_id = ? AND path = ?`);
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM file_entries WHERE user_id = ? AND id = ?`);
    this.children = db.prepare(`SELECT ${COLUMNS} FROM file_entries WHERE user_id = ? AND parent_path = ? ORDER BY name`);
    this.sameKey = db.prepare(`
      SELECT path FROM file_entries WHERE user_id = ? AND parent_path = ? AND name_key = ? AND id <> ? LIMIT 1`).pluck();
    // Descendants of P are exactly the paths between "P/" and "P0" ("0" follows "/").
    this.subtreeRows = db.prepare(`
      SELECT ${COLUMNS} FROM file_entries
      WHERE user_id = @userId AND (path = @path OR (path > @path || '/' AND path < @path || '0'))
      ORDER BY path`);
    this.insertRow = db.prepare(`
      INSERT INTO file_entries (id, user_id, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime)
      VALUES (@id, @userId, @path, @parentPath, @name, @nameKey, @kind, @size, @content_hash, @rev, @mtime)`);
    // Many rows in one statement: SQLite journals each page a statement changes, once per statement.
    this.insertRows = db.prepare(`
      INSERT INTO file_entries (id, user_id, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime)
      SELECT value->>0, ?, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9 FROM json_each(?)`);
    this.updateFile = db.prepare(`
      UPDATE file_entries SET size = @size, content_hash = @content_hash, rev = @rev, mtime = @mtime
      WHERE user_id = @userId AND id = @id`);
    this.renameRow = db.prepare(`
      UPDATE file_entries SET path = @path, parent_path = @parentPath, name = @name, name_key = @nameKey, rev = @rev
      WHERE user_id = @userId AND id = @id`);
    // substr counts characters (code points) from 1: @cut is the code-point length of the old path plus one.
    this.rebaseDescendants = db.prepare(`
      UPDATE file_entries SET path = @to || substr(path, @cut), parent_path = @to || substr(parent_path, @cut)
      WHERE user_id = @userId AND path > @from || '/' AND path < @from || '0'`);
    // length() of a BLOB counts bytes: the UTF-8 size the path limit is stated in.
    this.longestPath = db.prepare<{ userId: string; path: string }, number | null>(`
      SELECT MAX(length(CAST(path AS BLOB))) FROM file_entries
      WHERE user_id = @userId AND (path = @path OR (path > @path || '/' AND path < @path || '0'))`).pluck();
    this.deleteRows = db.prepare(`
      DELETE FROM file_entries
      WHERE user_id = @userId AND (path = @path OR (path > @path || '/' AND path < @path || '0'))`);
  }

  get(userId: string, path: string): EntryRow | null {
    return (this.byPath.get(userId, path) as EntryRow | undefined) ?? null;
  }

  getById(userId: string, id: string): EntryRow | null {
    return (this.byId.get(userId, id) as EntryRow | undefined) ?? null;
  }

  list(userId: string, folderPath: string): EntryRow[] {
    return this.children.all(userId, folderPath) as EntryRow[];
  }

  /** The entry at `path` and everything below it, parents before children. */
  subtree(userId: string, path: string): EntryRow[] {
    return this.subtreeRows.all({ userId, path }) as EntryRow[];
  }

  /** Another entry (not `exceptId`) in the folder whose name equals `key` up to case. */
  sameKeyAs(userId: string, parentPath: string, key: string, exceptId: string): string | undefined {
    return this.sameKey.get(userId, parentPath, key, exceptId) as string | undefined;
  }

  /** UTF-8 bytes of the longest path at or below `path` (0 when nothing is there). */
  longestPathBytes(userId: string, path: string): number {
    return this.longestPath.get({ userId, path }) ?? 0;
  }

  insert(userId: string, row: EntryRow): void {
    this.insertRow.run({ ...row, userId, parentPath: parentOf(row.path), name: nameOf(row.path), nameKey: nameKey(nameOf(row.path)) });
  }

  /** insert for many rows, in order. */
  insertMany(userId: string, rows: readonly EntryRow[]): void {
    this.insertRows.run(userId, JSON.stringify(rows.map((row) => {
      const name = nameOf(row.path);
      return [row.id, row.path, parentOf(row.path), name, nameKey(name), row.kind, row.size, row.content_hash, row.rev, row.mtime];
    })));
  }

  replaceContent(userId: string, row: EntryRow): void {
    this.updateFile.run({ ...row, userId });
  }

  /**
   * Moves an entry and its whole subtree. Descendants keep their revs: the feed
   * carries one change for the move, so clients could not learn new ones.
   */
  move(userId: string, row: EntryRow, to: string, rev: string): EntryRow {
    this.renameRow.run({ userId, id: row.id, path: to, parentPath: parentOf(to), name: nameOf(to), nameKey: nameKey(nameOf(to)), rev });
    if (row.kind === 'folder') {
      this.rebaseDescendants.run({ userId, from: row.path, to, cut: [...row.path].length + 1 });
    }
    return { ...row, path: to, rev };
  }

  /** Removes an entry and its subtree from the live tree. */
  remove(userId: string, path: string): void {
    this.deleteRows.run({ userId, path });
  }
}
