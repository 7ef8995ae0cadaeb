import type { Sql } from '../db/postgres.js';
import { nameKey, toEntry, type EntryRow } from './entryTable.js';
import { nameOf, parentOf } from '../../protocol/paths.js';
import type { TreeTables } from './treeOps.js';
import { newVersionId, VERSION_COLUMNS, type VersionRow } from './versionTable.js';

const COLUMNS = 'id, path, kind, size, content_hash, rev, mtime';
/** The entry at $2 and everything below it ("0" follows "/"; paths compare in the "C" collation). */
const AT_OR_BELOW = `(path = $2 OR (path > $2 || '/' AND path < $2 || '0'))`;

async function rows<R extends object>(tx: Sql, text: string, values: readonly unknown[]): Promise<R[]> {
  return (await tx.query<R & Record<string, unknown>>(text, values)).rows;
}

/**
 * The tree's tables on PostgreSQL, for one transaction of PgCommitBatcher
 * (which holds the user's lock): the same statements as the SQLite tables,
 * in PostgreSQL's dialect.
 */
export function pgTreeTables(tx: Sql, now: () => number, maxVersionsPerFile: number): TreeTables {
  return {
    now,
    maxVersionsPerFile,
    async entry(userId, path) {
      return (await rows<EntryRow>(tx, `SELECT ${COLUMNS} FROM file_entries WHERE user_id = $1 AND path = $2`, [userId, path]))[0] ?? null;
    },
    async sameKey(userId, parentPath, key, exceptId) {
      return (await rows<{ path: string }>(tx, `SELECT path FROM file_entries
        WHERE user_id = $1 AND parent_path = $2 AND name_key = $3 AND id <> $4 LIMIT 1`, [userId, parentPath, key, exceptId]))[0]?.path;
    },
    subtree: (userId, path) => rows<EntryRow>(tx, `SELECT ${COLUMNS} FROM file_entries WHERE user_id = $1 AND ${AT_OR_BELOW} ORDER BY path`, [userId, path]),
    async longestPathBytes(userId, path) {
      return (await rows<{ bytes: number | null }>(tx, `SELECT MAX(octet_length(path)) AS bytes FROM file_entries
        WHERE user_id = $1 AND ${AT_OR_BELOW}`, [userId, path]))[0]?.bytes ?? 0;
    },
    async insertEntry(userId, row) {
      await tx.query(`INSERT INTO file_entries (id, user_id, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [row.id, userId, row.path, parentOf(row.path), nameOf(row.path), nameKey(nameOf(row.path)), row.kind, row.size, row.content_hash, row.rev, row.mtime]);
    },
    async replaceContent(userId, row) {
      await tx.query('UPDATE file_entries SET size = $1, content_hash = $2, rev = $3, mtime = $4 WHERE user_id = $5 AND id = $6',
        [row.size, row.content_hash, row.rev, row.mtime, userId, row.id]);
    },
    // Descendants keep their revs: the feed carries one change for the move.
    async moveEntry(userId, row, to, rev) {
      await tx.query('UPDATE file_entries SET path = $1, parent_path = $2, name = $3, name_key = $4, rev = $5 WHERE user_id = $6 AND id = $7',
        [to, parentOf(to), nameOf(to), nameKey(nameOf(to)), rev, userId, row.id]);
      if (row.kind === 'folder') {
        // substr counts characters from 1: $4 is the character length of the old path plus one.
        await tx.query(`UPDATE file_entries SET path = $3 || substr(path, $4), parent_path = $3 || substr(parent_path, $4)
          WHERE user_id = $1 AND path > $2 || '/' AND path < $2 || '0'`, [userId, row.path, to, [...row.path].length + 1]);
      }
      return { ...row, path: to, rev };
    },
    async removeEntries(userId, path) {
      await tx.query(`DELETE FROM file_entries WHERE user_id = $1 AND ${AT_OR_BELOW}`, [userId, path]);
    },
    async putTrash(userId, trashId, entries, deletedAt) {
      await tx.query('INSERT INTO file_trash (id, user_id, path, deleted_at) VALUES ($1, $2, $3, $4)', [trashId, userId, entries[0]!.path, deletedAt]);
      // One statement for the whole subtree, however large.
      await tx.query(`INSERT INTO file_trash_entries (trash_id, id, path, kind, size, content_hash, rev, mtime)
        SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[])`,
      [trashId, ...(['id', 'path', 'kind', 'size', 'content_hash', 'rev', 'mtime'] as const).map((column) => entries.map((row) => row[column]))]);
    },
    async trashItem(userId, trashId) {
      const item = (await rows<{ path: string }>(tx, 'SELECT path FROM file_trash WHERE id = $1 AND user_id = $2', [trashId, userId]))[0];
      if (!item) return null;
      return { path: item.path, rows: await trashRows(tx, trashId) };
    },
    async removeTrash(trashId) {
      await tx.query('DELETE FROM file_trash WHERE id = $1', [trashId]);
    },
    // FOR UPDATE: the count is raised next; a collection deleting unreferenced content waits, then sees it referenced.
    async contentSize(contentHash) {
      return (await rows<{ size: number }>(tx, 'SELECT size FROM file_contents WHERE content_hash = $1 FOR UPDATE', [contentHash]))[0] ?? null;
    },
    async acquireContent(contentHash) {
      await tx.query('UPDATE file_contents SET refcount = refcount + 1, unreferenced_since = NULL WHERE content_hash = $1', [contentHash]);
    },
    // The rows are locked already: contentSize read each FOR UPDATE before.
    async acquireContents(contentHashes) {
      await tx.query(`UPDATE file_contents SET refcount = refcount + counted.n, unreferenced_since = NULL
        FROM (SELECT h, count(*) AS n FROM unnest($1::text[]) AS h GROUP BY h) AS counted WHERE file_contents.content_hash = counted.h`,
      [contentHashes]);
    },
    async releaseContent(contentHash) {
      await tx.query(`UPDATE file_contents SET refcount = refcount - 1,
        unreferenced_since = CASE WHEN refcount = 1 THEN $1::bigint ELSE NULL END WHERE content_hash = $2`, [now(), contentHash]);
    },
    // The row exists and is locked: PgCommitBatcher created and locked it.
    async nextSeq(userId) {
      return (await rows<{ last_seq: number }>(tx, 'UPDATE file_feeds SET last_seq = last_seq + 1 WHERE user_id = $1 RETURNING last_seq', [userId]))[0]!.last_seq;
    },
    async reserveSeqs(userId, count) {
      return (await rows<{ first: number }>(tx, 'UPDATE file_feeds SET last_seq = last_seq + $2 WHERE user_id = $1 RETURNING last_seq - $2 + 1 AS first',
        [userId, count]))[0]!.first;
    },
    // Two statements for any number of entries: restoring a folder of 200,000 costs no 400,000 round trips.
    async insertCreated(userId, created) {
      const column = <K extends keyof EntryRow>(key: K) => created.map((row) => row[key]);
      await tx.query(`INSERT INTO file_entries (id, user_id, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime)
        SELECT id, $1, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::bigint[])
          AS r(id, path, parent_path, name, name_key, kind, size, content_hash, rev, mtime)`,
      [userId, column('id'), column('path'), created.map((row) => parentOf(row.path)), created.map((row) => nameOf(row.path)),
        created.map((row) => nameKey(nameOf(row.path))), column('kind'), column('size'), column('content_hash'), column('rev'), column('mtime')]);
      await tx.query(`INSERT INTO file_changes (user_id, seq, op, path, from_path, entry, created_at)
        SELECT $1, seq, 'create', path, NULL, entry, $4 FROM unnest($2::bigint[], $3::text[], $5::text[]) AS c(seq, path, entry)`,
      [userId, created.map((row) => Number(row.rev)), column('path'), now(), created.map((row) => JSON.stringify(toEntry(row)))]);
    },
    async recordChange(userId, seq, op, entry, fromPath) {
      await tx.query(`INSERT INTO file_changes (user_id, seq, op, path, from_path, entry, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [userId, seq, op, entry.path, fromPath ?? null, JSON.stringify(entry), now()]);
    },
    async versionWritten(userId, row, device, at) {
      await tx.query(`INSERT INTO file_versions (id, user_id, entry_id, size, content_hash, mtime, device, written_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [newVersionId(), userId, row.id, row.size, row.content_hash, row.mtime, device, at]);
    },
    async versionsWritten(userId, written, at) {
      await tx.query(`INSERT INTO file_versions (id, user_id, entry_id, size, content_hash, mtime, device, written_at)
        SELECT id, $1, entry_id, size, content_hash, mtime, device, $8 FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[])
          WITH ORDINALITY AS v(id, entry_id, size, content_hash, mtime, device, n) ORDER BY n`,
      [userId, written.map(() => newVersionId()), written.map(({ row }) => row.id), written.map(({ row }) => row.size),
        written.map(({ row }) => row.content_hash), written.map(({ row }) => row.mtime), written.map(({ device }) => device), at]);
    },
    async retireVersion(userId, entryId, at) {
      const { rowCount } = await tx.query('UPDATE file_versions SET replaced_at = $1 WHERE user_id = $2 AND entry_id = $3 AND replaced_at IS NULL',
        [at, userId, entryId]);
      return rowCount === 1;
    },
    async forgetCurrentVersion(userId, entryId) {
      await tx.query('DELETE FROM file_versions WHERE user_id = $1 AND entry_id = $2 AND replaced_at IS NULL', [userId, entryId]);
    },
    async version(userId, entryId, versionId) {
      return (await rows<VersionRow>(tx, `SELECT ${VERSION_COLUMNS} FROM file_versions WHERE user_id = $1 AND entry_id = $2 AND id = $3`,
        [userId, entryId, versionId]))[0] ?? null;
    },
    versionsBeyond: (userId, entryId, keep) => rows<VersionRow>(tx, `SELECT ${VERSION_COLUMNS} FROM file_versions
      WHERE user_id = $1 AND entry_id = $2 AND replaced_at IS NOT NULL ORDER BY seq DESC OFFSET $3`, [userId, entryId, keep]),
    versionsOfEntry: (entryId) => rows<VersionRow>(tx, `SELECT ${VERSION_COLUMNS} FROM file_versions WHERE entry_id = $1`, [entryId]),
    async removeVersion(versionId) {
      return (await tx.query('DELETE FROM file_versions WHERE id = $1', [versionId])).rowCount === 1;
    },
  };
}

/** A trash item's entries as they were deleted, parents first. */
export function trashRows(tx: Sql, trashId: string): Promise<EntryRow[]> {
  return rows<EntryRow>(tx, `SELECT ${COLUMNS} FROM file_trash_entries WHERE trash_id = $1 ORDER BY path`, [trashId]);
}
