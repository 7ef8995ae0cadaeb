import type Database from 'better-sqlite3';
import type { BaseNode, LocalNode, NodeKind, RemoteNode } from '../model.js';
import { TreeTable } from './treeTable.js';

/** Row mappings of the three trees; column names are the schema's. */
type Row = Record<string, unknown>;

export function baseTable(db: Database.Database): TreeTable<BaseNode> {
  return new TreeTable<BaseNode>(db, 'base',
    ['path', 'kind', 'size', 'content_hash', 'mtime', 'remote_id', 'rev', 'inode'],
    (n) => ({ path: n.path, kind: n.kind, size: n.size, content_hash: n.contentHash, mtime: n.mtime, remote_id: n.remoteId, rev: n.rev, inode: n.inode }),
    (r: Row) => ({
      path: r.path as string, kind: r.kind as NodeKind, size: r.size as number, contentHash: r.content_hash as string | null,
      mtime: r.mtime as number, remoteId: r.remote_id as string, rev: r.rev as string, inode: r.inode as string | null,
    }), ['inode', 'remote_id']);
}

export function localTable(db: Database.Database): TreeTable<LocalNode> {
  return new TreeTable<LocalNode>(db, 'local',
    ['path', 'kind', 'size', 'content_hash', 'mtime', 'inode', 'ctime'],
    (n) => ({ path: n.path, kind: n.kind, size: n.size, content_hash: n.contentHash, mtime: n.mtime, inode: n.inode, ctime: n.ctime ?? null }),
    (r: Row) => ({
      path: r.path as string, kind: r.kind as NodeKind, size: r.size as number, contentHash: r.content_hash as string | null,
      mtime: r.mtime as number, inode: r.inode as string, ...(r.ctime === null ? {} : { ctime: r.ctime as number }),
    }), ['inode']);
}

export function remoteTable(db: Database.Database): TreeTable<RemoteNode> {
  return new TreeTable<RemoteNode>(db, 'remote',
    ['path', 'id', 'kind', 'size', 'content_hash', 'rev', 'mtime'],
    (n) => ({ path: n.path, id: n.id, kind: n.kind, size: n.size, content_hash: n.contentHash, rev: n.rev, mtime: n.mtime }),
    (r: Row) => ({
      path: r.path as string, id: r.id as string, kind: r.kind as NodeKind, size: r.size as number,
      contentHash: r.content_hash as string | null, rev: r.rev as string, mtime: r.mtime as number,
    }), ['id']);
}
