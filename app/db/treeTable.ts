import type Database from 'better-sqlite3';
import { SyncError } from '../errors.js';
import type { PathRange } from './stateStore.js';
import { belowBounds, codePointLength, isNestedMove } from './subtree.js';

/** One of the three path-keyed trees: typed rows in, typed nodes out. */
export class TreeTable<N extends { path: string }> {
  private readonly upsertStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly moveStmt: Database.Statement;
  private readonly allStmt: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly belowStmt: Database.Statement;
  private readonly countStmt: Database.Statement;
  private readonly containingStmt: Database.Statement;
  private readonly byColumnStmts = new Map<string, Database.Statement>();

  constructor(
    db: Database.Database,
    readonly table: string,
    columns: readonly string[],
    private readonly toRow: (node: N) => Record<string, unknown>,
    private readonly fromRow: (row: Record<string, unknown>) => N,
    lookupColumns: readonly string[] = [],
  ) {
    const names = columns.join(', ');
    const values = columns.map((c) => `@${c}`).join(', ');
    const updates = columns.filter((c) => c !== 'path').map((c) => `${c} = excluded.${c}`).join(', ');
    this.upsertStmt = db.prepare(`INSERT INTO ${table} (${names}) VALUES (${values}) ON CONFLICT (path) DO UPDATE SET ${updates}`);
    this.deleteStmt = db.prepare(`DELETE FROM ${table} WHERE path = @path OR (path >= @lo AND path < @hi)`);
    this.moveStmt = db.prepare(`UPDATE ${table} SET path = @to || substr(path, @cut) WHERE path = @from OR (path >= @lo AND path < @hi)`);
    this.allStmt = db.prepare(`SELECT ${names} FROM ${table}`);
    this.getStmt = db.prepare(`SELECT ${names} FROM ${table} WHERE path = ?`);
    this.belowStmt = db.prepare(`SELECT ${names} FROM ${table} WHERE path >= @lo AND path < @hi`);
    this.countStmt = db.prepare(`SELECT count(*) FROM ${table}`).pluck();
    // instr(), not LIKE: no escaping of '%' and '_' in the text.
    this.containingStmt = db.prepare(`SELECT path FROM ${table} WHERE instr(path, ?) > 0 ORDER BY path`).pluck();
    // Only indexed columns (schema step 3) are offered for lookups.
    for (const column of lookupColumns) {
      this.byColumnStmts.set(column, db.prepare(`SELECT ${names} FROM ${table} WHERE ${column} = ?`));
    }
  }

  load(): Map<string, N> {
    const nodes = new Map<string, N>();
    for (const row of this.allStmt.iterate() as IterableIterator<Record<string, unknown>>) {
      const node = this.fromRow(row);
      nodes.set(node.path, node);
    }
    return nodes;
  }

  get(path: string): N | undefined {
    const row = this.getStmt.get(path) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : this.fromRow(row);
  }

  /** The nodes strictly below `path`, read through the primary-key index. */
  *below(path: string): IterableIterator<N> {
    for (const row of this.belowStmt.iterate(belowBounds(path)) as IterableIterator<Record<string, unknown>>) yield this.fromRow(row);
  }

  /**
   * The nodes directly in folder `path`, in path order. A subfolder's subtree
   * is one contiguous range of the primary key ([sub + '/', sub + '0')), so
   * the read jumps over it with one index seek: a folder costs its entries,
   * not its subtree. A range's bounds are entry paths, which hold no NUL:
   * `path + NUL` is the first string after `path` and before its subtree.
   */
  *children(path: string, range: PathRange = {}): IterableIterator<N> {
    const bounds = belowBounds(path);
    const lo = bounds.lo;
    const hi = range.through === undefined ? bounds.hi : `${range.through}\u0000`;
    let from = range.after === undefined ? lo : `${range.after}\u0000`;
    for (;;) {
      let skipTo: string | null = null;
      for (const row of this.belowStmt.iterate({ lo: from, hi }) as IterableIterator<Record<string, unknown>>) {
        const slash = (row.path as string).indexOf('/', lo.length);
        if (slash === -1) {
          yield this.fromRow(row);
          continue;
        }
        // Leaving the loop ends the statement's iteration; the next read starts past this child's subtree.
        skipTo = `${(row.path as string).slice(0, slash)}0`;
        break;
      }
      if (skipTo === null) return;
      from = skipTo;
    }
  }

  count(): number {
    return this.countStmt.get() as number;
  }

  pathsContaining(text: string): string[] {
    return this.containingStmt.all(text) as string[];
  }

  /** The nodes whose indexed `column` holds `value` (an inode, a remote id). */
  where(column: string, value: string): N[] {
    const stmt = this.byColumnStmts.get(column);
    if (!stmt) throw new SyncError('internal', `the ${this.table} tree has no index on ${column}`);
    return (stmt.all(value) as Record<string, unknown>[]).map((row) => this.fromRow(row));
  }

  upsert(node: N): void {
    this.upsertStmt.run(this.toRow(node));
  }

  /** Removes `path` and its subtree. */
  deleteSubtree(path: string): void {
    this.deleteStmt.run({ path, ...belowBounds(path) });
  }

  /** Renames `from` and its subtree to `to`; whatever was at `to` is replaced. */
  moveSubtree(from: string, to: string): void {
    if (isNestedMove(from, to)) {
      throw new SyncError('internal', `cannot move ${from} to ${to} in the ${this.table} tree: one contains the other`);
    }
    this.deleteSubtree(to);
    this.moveStmt.run({ from, to, cut: codePointLength(from) + 1, ...belowBounds(from) });
  }
}
