import Database from 'better-sqlite3';
import { ROOT, parentOf } from '../../protocol/paths.js';
import type { BaseNode, LocalNode, RemoteChange, RemoteNode } from '../model.js';
import { isSqliteStorageFailure, syncErrorFromFs } from '../fsErrors.js';
import { FolderRuleTable } from './folderRules.js';
import { transactionRunner, type InTransaction } from './transactionRunner.js';
import { JobTable } from './jobTable.js';
import { migrate } from './schema.js';
import type { AppliedRemoteChanges, PathRange, StateStore, TreeName, TreeNodes, TreeWrite } from './stateStore.js';
import { withStorageFailures } from './storageFailures.js';
import type { TreeTable } from './treeTable.js';
import { baseTable, localTable, remoteTable } from './trees.js';

const CURSOR_KEY = 'remote.cursor';
const CONVERGED_KEY = 'sync.converged';

/**
 * The client's state in one SQLite file. WAL with synchronous=NORMAL: a power
 * loss may drop the last commits but never corrupts the file, and everything
 * here is re-derivable from the folder and the service.
 */
export class SqliteStateStore implements StateStore {
  readonly jobs: JobTable;
  private readonly inTransaction: InTransaction;
  readonly folderRules: FolderRuleTable;
  private readonly trees: { [T in TreeName]: TreeTable<TreeNodes[T]> };
  private readonly getKv: Database.Statement;
  private readonly setKv: Database.Statement;
  private readonly deleteKv: Database.Statement;
  private readonly clearRemote: Database.Statement;
  private readonly remoteKindAt: Database.Statement;
  private readonly remotePathOfId: Database.Statement;

  /** A full or failing disk (here or later, in any method) surfaces as a SyncError `disk_full` / `io_error`. */
  static open(file: string): SqliteStateStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // Statement journals of multi-row writes stay in memory instead of spilling to a file in /var/tmp.
      db.pragma('temp_store = MEMORY');
      migrate(db);
      return withStorageFailures(new SqliteStateStore(db, file), file);
    } catch (error) {
      db?.close();
      throw isSqliteStorageFailure(error) ? syncErrorFromFs(error, file) : error;
    }
  }

  private constructor(private readonly database: Database.Database, file: string) {
    this.inTransaction = transactionRunner(database);
    this.jobs = withStorageFailures(new JobTable(database), file);
    this.folderRules = withStorageFailures(new FolderRuleTable(database, CONVERGED_KEY), file);
    this.trees = { base: baseTable(database), local: localTable(database), remote: remoteTable(database) };
    this.getKv = database.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    this.setKv = database.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.deleteKv = database.prepare('DELETE FROM kv WHERE key = ?');
    this.clearRemote = database.prepare('DELETE FROM remote');
    this.remoteKindAt = database.prepare('SELECT kind FROM remote WHERE path = ?').pluck();
    this.remotePathOfId = database.prepare('SELECT path FROM remote WHERE id = ?').pluck();
  }

  loadBase(): Map<string, BaseNode> {
    return this.trees.base.load();
  }

  loadLocal(): Map<string, LocalNode> {
    return this.trees.local.load();
  }

  loadRemote(): Map<string, RemoteNode> {
    return this.trees.remote.load();
  }

  node<T extends TreeName>(tree: T, path: string): TreeNodes[T] | undefined {
    return this.trees[tree].get(path);
  }

  below<T extends TreeName>(tree: T, path: string): IterableIterator<TreeNodes[T]> {
    return this.trees[tree].below(path);
  }

  children<T extends TreeName>(tree: T, path: string, range?: PathRange): IterableIterator<TreeNodes[T]> {
    return this.trees[tree].children(path, range);
  }

  count(tree: TreeName): number {
    return this.trees[tree].count();
  }

  pathsContaining(tree: TreeName, text: string): string[] {
    return this.trees[tree].pathsContaining(text);
  }

  withInode<T extends 'local' | 'base'>(tree: T, inode: string): TreeNodes[T][] {
    return this.trees[tree].where('inode', inode);
  }

  withRemoteId<T extends 'remote' | 'base'>(tree: T, id: string): TreeNodes[T][] {
    return this.trees[tree].where(tree === 'remote' ? 'id' : 'remote_id', id);
  }

  write(writes: readonly TreeWrite[]): void {
    this.inTransaction(() => {
      for (const write of writes) this.applyWrite(write);
      if (writes.length > 0) this.deleteKv.run(CONVERGED_KEY);
    });
  }

  remoteCursor(): number | null {
    const value = this.getSetting(CURSOR_KEY);
    return value === null ? null : Number(value);
  }

  applyRemoteChanges(changes: readonly RemoteChange[], cursor: number): AppliedRemoteChanges {
    const remote = this.trees.remote;
    const applied: AppliedRemoteChanges = { paths: [], refused: [] };
    this.inTransaction(() => {
      for (const change of changes) {
        const node = { ...change.node, path: change.path };
        const contradiction = change.op === 'delete' ? null : this.contradiction(change);
        if (contradiction !== null) {
          applied.refused.push({ path: change.path, reason: contradiction });
          continue;
        }
        // The feed echoes every change this client made; its answers put them in the tree already.
        if (this.alreadyRecorded(change, node)) continue;
        switch (change.op) {
          case 'create':
          case 'update':
            remote.upsert(node);
            break;
          case 'move':
            remote.moveSubtree(change.fromPath ?? change.path, change.path);
            remote.upsert(node);
            applied.paths.push(change.fromPath ?? change.path);
            break;
          case 'delete':
            remote.deleteSubtree(change.path);
            break;
        }
        applied.paths.push(change.path);
      }
      this.setSetting(CURSOR_KEY, String(cursor));
      if (applied.paths.length > 0) this.deleteKv.run(CONVERGED_KEY);
    });
    return applied;
  }

  /** The remote tree already shows what `change` leads to: the entry as it says (or, for a delete, nothing) and nothing left at a move's origin. */
  private alreadyRecorded(change: RemoteChange, node: RemoteNode): boolean {
    const now = this.trees.remote.get(change.path);
    if (change.op === 'delete') return now === undefined;
    if (change.op === 'move' && change.fromPath !== undefined && change.fromPath !== change.path && this.trees.remote.get(change.fromPath) !== undefined) return false;
    return now !== undefined && now.id === node.id && now.rev === node.rev && now.kind === node.kind
      && now.size === node.size && now.contentHash === node.contentHash && now.mtime === node.mtime;
  }

  /** Why a change that places an entry cannot hold in the remote tree as it is now, or null when it can. */
  private contradiction(change: RemoteChange): string | null {
    const parent = parentOf(change.path);
    if (parent !== ROOT) {
      const kind = this.remoteKindAt.get(parent) as string | undefined;
      if (kind === undefined) return `its parent folder ${parent} is not on the service's tree as this client knows it`;
      if (kind !== 'folder') return `its parent ${parent} is a file`;
    }
    const holder = this.remotePathOfId.get(change.node.id) as string | undefined;
    if (holder !== undefined && holder !== change.path && holder !== change.fromPath) return `its id is already the entry at ${holder}`;
    return null;
  }

  replaceRemoteTree(nodes: readonly RemoteNode[], cursor: number): void {
    this.inTransaction(() => {
      this.clearRemote.run();
      for (const node of nodes) this.trees.remote.upsert(node);
      this.setSetting(CURSOR_KEY, String(cursor));
      this.deleteKv.run(CONVERGED_KEY);
    });
  }

  converged(): boolean {
    return this.getSetting(CONVERGED_KEY) !== null;
  }

  markConverged(): void {
    this.setSetting(CONVERGED_KEY, '1');
  }

  getSetting(key: string): string | null {
    return (this.getKv.get(key) as string | undefined) ?? null;
  }

  setSetting(key: string, value: string): void {
    this.setKv.run(key, value);
  }

  close(): void {
    this.database.close();
  }

  private applyWrite(write: TreeWrite): void {
    switch (write.op) {
      case 'upsert':
        this.upsert(write);
        break;
      case 'delete':
        this.table(write.tree).deleteSubtree(write.path);
        break;
      case 'move':
        this.table(write.tree).moveSubtree(write.from, write.to);
        break;
    }
  }

  private upsert(write: Extract<TreeWrite, { op: 'upsert' }>): void {
    switch (write.tree) {
      case 'base':
        this.trees.base.upsert(write.node);
        break;
      case 'local':
        this.trees.local.upsert(write.node);
        break;
      case 'remote':
        this.trees.remote.upsert(write.node);
        break;
    }
  }

  private table(tree: TreeName): Pick<TreeTable<never>, 'deleteSubtree' | 'moveSubtree'> {
    return this.trees[tree];
  }
}
