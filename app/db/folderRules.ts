import type Database from 'better-sqlite3';
import { ROOT } from '../../protocol/paths.js';
import type { FolderRule } from '../model.js';
import { belowBounds, codePointLength } from './subtree.js';

/** A remote entry directly inside a folder, with what its subtree holds. */
export interface RemoteChildUsage {
  name: string;
  kind: 'file' | 'folder';
  /** Bytes of the files at or below it. */
  size: number;
  files: number;
  hasFolders: boolean;
}

export interface FolderRuleStore {
  rules(): FolderRule[];
  /**
   * Drops the rules at and below each of `clear`, then sets `set`, in one
   * transaction that also forgets that the trees were converged: a plan must
   * look again.
   */
  change(clear: readonly string[], set: readonly FolderRule[]): void;
  syncNewFolders(): boolean;
  setSyncNewFolders(on: boolean): void;
  /** The remote tree's entries directly inside `path`, with sizes summed over their subtrees. */
  remoteChildren(path: string): RemoteChildUsage[];
}

const SYNC_NEW_FOLDERS_KEY = 'selection.syncNewFolders';

/** The `folder_rules` table (schema step 4) and the "sync new folders" setting. */
export class FolderRuleTable implements FolderRuleStore {
  private readonly allStmt: Database.Statement;
  private readonly clearStmt: Database.Statement;
  private readonly setStmt: Database.Statement;
  private readonly getKv: Database.Statement;
  private readonly setKv: Database.Statement;
  private readonly unconverge: Database.Statement;
  private readonly childrenStmt: Database.Statement;
  private readonly changeTx: (clear: readonly string[], set: readonly FolderRule[]) => void;

  constructor(db: Database.Database, convergedKey: string) {
    this.allStmt = db.prepare('SELECT path, state FROM folder_rules ORDER BY path');
    this.clearStmt = db.prepare('DELETE FROM folder_rules WHERE path = @path OR (path >= @lo AND path < @hi)');
    this.setStmt = db.prepare('INSERT INTO folder_rules (path, state) VALUES (@path, @state) ON CONFLICT (path) DO UPDATE SET state = excluded.state');
    this.getKv = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    this.setKv = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.unconverge = db.prepare('DELETE FROM kv WHERE key = ?').bind(convergedKey);
    // One pass over the subtree's index range, grouped by the first name below `path`.
    this.childrenStmt = db.prepare(`
      WITH below AS (SELECT substr(path, @start) AS rest, kind, size FROM remote WHERE path >= @lo AND path < @hi),
      split AS (SELECT rest, kind, size, instr(rest, '/') AS cut FROM below)
      SELECT CASE cut WHEN 0 THEN rest ELSE substr(rest, 1, cut - 1) END AS name,
             max(CASE WHEN cut = 0 THEN kind END) AS kind,
             coalesce(sum(CASE WHEN kind = 'file' THEN size END), 0) AS size,
             count(CASE WHEN kind = 'file' THEN 1 END) AS files,
             count(CASE WHEN cut > 0 AND kind = 'folder' THEN 1 END) > 0 AS hasFolders
      FROM split GROUP BY name ORDER BY name`);
    this.changeTx = db.transaction((clear: readonly string[], set: readonly FolderRule[]) => {
      for (const path of clear) this.clearStmt.run({ path, ...belowBounds(path) });
      for (const rule of set) this.setStmt.run(rule);
      this.unconverge.run();
    });
  }

  rules(): FolderRule[] {
    return this.allStmt.all() as FolderRule[];
  }

  change(clear: readonly string[], set: readonly FolderRule[]): void {
    this.changeTx(clear, set);
  }

  syncNewFolders(): boolean {
    return this.getKv.get(SYNC_NEW_FOLDERS_KEY) !== 'no';
  }

  setSyncNewFolders(on: boolean): void {
    this.setKv.run(SYNC_NEW_FOLDERS_KEY, on ? 'yes' : 'no');
    this.unconverge.run();
  }

  remoteChildren(path: string): RemoteChildUsage[] {
    const start = path === ROOT ? 2 : codePointLength(path) + 2;
    const rows = this.childrenStmt.all({ start, ...belowBounds(path) }) as Array<{ name: string; kind: 'file' | 'folder' | null; size: number; files: number; hasFolders: number }>;
    // A row without its own entry cannot happen (the service sends parents first); skip it rather than guess.
    return rows.filter((row) => row.kind !== null).map((row) => ({ ...row, kind: row.kind!, hasFolders: row.hasFolders === 1 }));
  }
}
