import Database from 'better-sqlite3';
import type { BaseNode, LocalNode, RemoteChange, RemoteNode } from '../model.js';
import { JobTable } from './jobTable.js';
import { migrate } from './schema.js';
import type { StateStore, TreeName, TreeNodes, TreeWrite } from './stateStore.js';
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
  private readonly trees: { [T in TreeName]: TreeTable<TreeNodes[T]> };
  private readonly getKv: Database.Statement;
  private readonly setKv: Database.Statement;
  private readonly deleteKv: Database.Statement;
  private readonly clearRemote: Database.Statement;

  static open(file: string): SqliteStateStore {
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new SqliteStateStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  constructor(private readonly database: Database.Database) {
    this.jobs = new JobTable(database);
    this.trees = { base: baseTable(database), local: localTable(database), remote: remoteTable(database) };
    this.getKv = database.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    this.setKv = database.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.deleteKv = database.prepare('DELETE FROM kv WHERE key = ?');
    this.clearRemote = database.prepare('DELETE FROM remote');
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

  count(tree: TreeName): number {
    return this.trees[tree].count();
  }

  withInode<T extends 'local' | 'base'>(tree: T, inode: string): TreeNodes[T][] {
    return this.trees[tree].where('inode', inode);
  }

  withRemoteId<T extends 'remote' | 'base'>(tree: T, id: string): TreeNodes[T][] {
    return this.trees[tree].where(tree === 'remote' ? 'id' : 'remote_id', id);
  }

  write(writes: readonly TreeWrite[]): void {
    this.database.transaction(() => {
      for (const write of writes) this.applyWrite(write);
      if (writes.length > 0) this.deleteKv.run(CONVERGED_KEY);
    })();
  }

  remoteCursor(): number | null {
    const value = this.getSetting(CURSOR_KEY);
    return value === null ? null : Number(value);
  }

  applyRemoteChanges(changes: readonly RemoteChange[], cursor: number): void {
    const remote = this.trees.remote;
    this.database.transaction(() => {
      for (const change of changes) {
        const node = { ...change.node, path: change.path };
        switch (change.op) {
          case 'create':
          case 'update':
            remote.upsert(node);
            break;
          case 'move':
            remote.moveSubtree(change.fromPath ?? change.path, change.path);
            remote.upsert(node);
            break;
          case 'delete':
            remote.deleteSubtree(change.path);
            break;
        }
      }
      this.setSetting(CURSOR_KEY, String(cursor));
      if (changes.length > 0) this.deleteKv.run(CONVERGED_KEY);
    })();
  }

  replaceRemoteTree(nodes: readonly RemoteNode[], cursor: number): void {
    this.database.transaction(() => {
      this.clearRemote.run();
      for (const node of nodes) this.trees.remote.upsert(node);
      this.setSetting(CURSOR_KEY, String(cursor));
      this.deleteKv.run(CONVERGED_KEY);
    })();
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
