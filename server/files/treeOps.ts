import { randomUUID } from 'node:crypto';
import { timeOrderedUuid } from '../db/orderedIds.js';
import type { Entry } from '../../protocol/api.js';
import { isSameOrBelow, nameOf, parentOf, ROOT, utf8Length } from '../../protocol/paths.js';
import { ApiError } from '../errors.js';
import type { ChangeOp } from './changeFeed.js';
import { checkRebasedLength, nameKey, rebase, toEntry, type EntryRow } from './entryTable.js';
import type { FileCommit, VersionRestore } from './fileStore.js';
import type { TrashedItem } from './trashTable.js';
import type { VersionRow } from './versionTable.js';
import { ask, type Maybe, type Steps } from '../db/steps.js';

/**
 * The table calls the operations make, all scoped to one user except content
 * counts. The tree's write logic is written once for both databases (see
 * db/steps.ts): SQLite runs each operation inside the commit batcher's
 * synchronous transaction, PostgreSQL awaits each table call.
 */
export interface TreeTables {
  now(): number;
  /** Previous versions kept per file (NETDISK_MAX_VERSIONS); a replace beyond it drops the oldest. */
  readonly maxVersionsPerFile: number;
  entry(userId: string, path: string): Maybe<EntryRow | null>;
  /** Another entry (not `exceptId`) in the folder whose name equals `key` up to case. */
  sameKey(userId: string, parentPath: string, key: string, exceptId: string): Maybe<string | undefined>;
  subtree(userId: string, path: string): Maybe<EntryRow[]>;
  longestPathBytes(userId: string, path: string): Maybe<number>;
  insertEntry(userId: string, row: EntryRow): Maybe<void>;
  replaceContent(userId: string, row: EntryRow): Maybe<void>;
  moveEntry(userId: string, row: EntryRow, to: string, rev: string): Maybe<EntryRow>;
  removeEntries(userId: string, path: string): Maybe<void>;
  putTrash(userId: string, trashId: string, rows: EntryRow[], deletedAt: number): Maybe<void>;
  trashItem(userId: string, trashId: string): Maybe<TrashedItem | null>;
  removeTrash(trashId: string): Maybe<void>;
  contentSize(contentHash: string): Maybe<{ size: number } | null>;
  acquireContent(contentHash: string): Maybe<void>;
  /** One reference per item (a hash listed twice gains two). */
  acquireContents(contentHashes: readonly string[]): Maybe<void>;
  releaseContent(contentHash: string): Maybe<void>;
  nextSeq(userId: string): Maybe<number>;
  /** The first of `count` consecutive change numbers. */
  reserveSeqs(userId: string, count: number): Maybe<number>;
  recordChange(userId: string, seq: number, op: ChangeOp, entry: Entry, fromPath?: string): Maybe<void>;
  /** Many new entries, each recorded as a `create` with its rev's change number, in order. */
  insertCreated(userId: string, rows: readonly EntryRow[]): Maybe<void>;
  /** Records who wrote `row`'s content (the entry's new current content), at `at`. */
  versionWritten(userId: string, row: EntryRow, device: string | null, at: number): Maybe<void>;
  /** versionWritten for many new files at once. */
  versionsWritten(userId: string, written: readonly { row: EntryRow; device: string | null }[], at: number): Maybe<void>;
  /**
   * The file's current version becomes a previous one, replaced at `at`, and
   * takes over the entry's content reference. False when the file had no
   * current row, so nothing took the reference over.
   */
  retireVersion(userId: string, entryId: string, at: number): Maybe<boolean>;
  /** Forgets who wrote the file's current content (it is being written again, unchanged). */
  forgetCurrentVersion(userId: string, entryId: string): Maybe<void>;
  version(userId: string, entryId: string, versionId: string): Maybe<VersionRow | null>;
  /** Previous versions of a file beyond its newest `keep`. */
  versionsBeyond(userId: string, entryId: string, keep: number): Maybe<VersionRow[]>;
  /** Every version row of an entry gone for good (its trash item is purged; entry ids are never reused). */
  versionsOfEntry(entryId: string): Maybe<VersionRow[]>;
  /** Deletes one version row; false when it was already gone. */
  removeVersion(versionId: string): Maybe<boolean>;
}

/** `ifRev` semantics: undefined = no precondition, null = must not exist, string = must be the current rev. */
function checkRev(current: EntryRow | null, ifRev: string | null | undefined, path: string): void {
  if (ifRev === undefined) return;
  if (ifRev === null ? current === null : current?.rev === ifRev) return;
  const expected = ifRev === null ? 'nothing' : `rev ${ifRev}`;
  throw new ApiError('conflict', `${path} changed: expected ${expected}`, { entry: current ? toEntry(current) : null });
}

/**
 * Refuses a new name at `path` unless its parent is an existing folder and no
 * other entry (`exceptId` is the one being renamed) takes the name up to case.
 */
function* checkPlace(t: TreeTables, userId: string, path: string, exceptId = ''): Steps<void> {
  const parentPath = parentOf(path);
  if (parentPath !== ROOT) {
    const parent = yield* ask(t.entry(userId, parentPath));
    if (!parent) throw new ApiError('parent_not_found', `the folder ${parentPath} does not exist`);
    if (parent.kind !== 'folder') throw new ApiError('not_a_folder', `${parentPath} is a file, not a folder`);
  }
  const clash = yield* ask(t.sameKey(userId, parentPath, nameKey(nameOf(path)), exceptId));
  if (clash !== undefined) {
    throw new ApiError('case_conflict', `${path} differs from the existing ${clash} only in case`, { path: clash });
  }
}

function* requireEntry(t: TreeTables, userId: string, path: string): Steps<EntryRow> {
  const row = yield* ask(t.entry(userId, path));
  if (!row) throw new ApiError('not_found', `${path} does not exist`);
  return row;
}

function* recorded(t: TreeTables, userId: string, seq: number, op: ChangeOp, row: EntryRow, fromPath?: string): Steps<Entry> {
  const entry = toEntry(row);
  yield* ask(t.recordChange(userId, seq, op, entry, fromPath));
  return entry;
}

/** Takes a reference for a new entry. Unregistered content is a caller bug, not a user error. */
function* acquire(t: TreeTables, contentHash: string, size: number): Steps<void> {
  const stored = yield* ask(t.contentSize(contentHash));
  if (!stored) throw new Error(`content ${contentHash} was committed before registerContent`);
  if (stored.size !== size) throw new Error(`content ${contentHash} is ${stored.size} bytes, not ${size}`);
  yield* ask(t.acquireContent(contentHash));
}

export function* mkdir(t: TreeTables, userId: string, path: string, mtime?: number): Steps<Entry> {
  const existing = yield* ask(t.entry(userId, path));
  if (existing?.kind === 'folder') return toEntry(existing);
  if (existing) throw new ApiError('already_exists', `${path} exists and is a file`, { entry: toEntry(existing) });
  yield* checkPlace(t, userId, path);
  const seq = yield* ask(t.nextSeq(userId));
  const row: EntryRow = { id: timeOrderedUuid(), path, kind: 'folder', size: 0, content_hash: null, rev: String(seq), mtime: mtime ?? t.now() };
  yield* ask(t.insertEntry(userId, row));
  return yield* recorded(t, userId, seq, 'create', row);
}

export function* move(t: TreeTables, userId: string, from: string, to: string, ifRev?: string | null): Steps<Entry> {
  const row = yield* requireEntry(t, userId, from);
  checkRev(row, ifRev, from);
  if (from === to) return toEntry(row);
  if (row.kind === 'folder' && isSameOrBelow(to, from)) {
    throw new ApiError('invalid_path', `cannot move the folder ${from} into itself`);
  }
  const occupant = yield* ask(t.entry(userId, to));
  if (occupant) throw new ApiError('already_exists', `${to} already exists`, { entry: toEntry(occupant) });
  yield* checkPlace(t, userId, to, row.id);
  checkRebasedLength(yield* ask(t.longestPathBytes(userId, from)), from, to);
  const seq = yield* ask(t.nextSeq(userId));
  const moved = yield* ask(t.moveEntry(userId, row, to, String(seq)));
  return yield* recorded(t, userId, seq, 'move', moved, from);
}

/** Moves the entry (and a folder's subtree) to the trash. */
export function* remove(t: TreeTables, userId: string, path: string, ifRev?: string | null): Steps<Entry> {
  const row = yield* requireEntry(t, userId, path);
  checkRev(row, ifRev, path);
  yield* ask(t.putTrash(userId, randomUUID(), yield* ask(t.subtree(userId, path)), t.now()));
  yield* ask(t.removeEntries(userId, path));
  return yield* recorded(t, userId, yield* ask(t.nextSeq(userId)), 'delete', row);
}

/** Puts a trashed item back, at its old place or at `to`; each restored entry is a `create`, parents first. */
export function* restore(t: TreeTables, userId: string, trashId: string, to?: string): Steps<Entry> {
  const item = yield* ask(t.trashItem(userId, trashId));
  if (!item) throw new ApiError('not_found', `no trash item ${trashId}`);
  const target = to ?? item.path;
  const occupant = yield* ask(t.entry(userId, target));
  if (occupant) throw new ApiError('already_exists', `${target} already exists`, { entry: toEntry(occupant) });
  yield* checkPlace(t, userId, target);
  // A loop, not Math.max(...rows): a spread of a large folder's rows overflows the call stack.
  checkRebasedLength(item.rows.reduce((longest, row) => Math.max(longest, utf8Length(row.path)), 0), item.path, target);
  const first = yield* ask(t.reserveSeqs(userId, item.rows.length));
  const restored = item.rows.map((row, i): EntryRow => ({ ...row, path: rebase(row.path, item.path, target), rev: String(first + i) }));
  yield* ask(t.insertCreated(userId, restored));
  yield* ask(t.removeTrash(trashId));
  return toEntry(restored[0]!);
}

/**
 * The files of a batch that `createFiles` can write together, by index: each
 * is one commitFile would create without refusing, so writing them first
 * and the others one by one afterwards answers every file as committing them
 * all in order would. Nothing at the path and no name clash up to case (one
 * query answers both), no precondition but "must not exist", the parent an
 * existing folder, the content registered at this size, and no earlier file
 * of the batch in the same folder with the same name up to case (a later
 * file that replaces it or clashes with it goes after it). None for a batch
 * of one: it would gain nothing, and commitFile would read it all again.
 */
export function* filesToCreateTogether(t: TreeTables, userId: string, files: readonly FileCommit[]): Steps<number[]> {
  if (files.length < 2) return [];
  const earlierKeys = new Set<string>();
  const isFolder = new Map<string, boolean>([[ROOT, true]]);
  const sizes = new Map<string, number | null>();
  const together: number[] = [];
  for (const [i, file] of files.entries()) {
    const parentPath = parentOf(file.path);
    const key = nameKey(nameOf(file.path));
    const batchKey = `${parentPath}/${key}`;
    const clashesInBatch = earlierKeys.has(batchKey);
    earlierKeys.add(batchKey);
    if (clashesInBatch || typeof file.ifRev === 'string') continue;
    if (!isFolder.has(parentPath)) isFolder.set(parentPath, (yield* ask(t.entry(userId, parentPath)))?.kind === 'folder');
    if (!isFolder.get(parentPath)) continue;
    if ((yield* ask(t.sameKey(userId, parentPath, key, ''))) !== undefined) continue;
    if (!sizes.has(file.contentHash)) sizes.set(file.contentHash, (yield* ask(t.contentSize(file.contentHash)))?.size ?? null);
    if (sizes.get(file.contentHash) !== file.size) continue;
    together.push(i);
  }
  return together;
}

/**
 * New files at once, each as commitFile creates one (an entry, its current
 * version, a `create` change, a content reference), in a few statements for
 * the whole list instead of ~10 per file: the metadata commit is most of the
 * service's work in an initial sync of many small files. Only for files
 * `filesToCreateTogether` chose.
 */
export function* createFiles(t: TreeTables, userId: string, files: readonly FileCommit[]): Steps<Entry[]> {
  const first = yield* ask(t.reserveSeqs(userId, files.length));
  const rows = files.map((file, i): EntryRow => ({
    id: timeOrderedUuid(), path: file.path, kind: 'file', size: file.size, content_hash: file.contentHash, rev: String(first + i), mtime: file.mtime,
  }));
  yield* ask(t.acquireContents(files.map((file) => file.contentHash)));
  yield* ask(t.insertCreated(userId, rows));
  yield* ask(t.versionsWritten(userId, rows.map((row, i) => ({ row, device: files[i]!.device ?? null })), t.now()));
  return rows.map(toEntry);
}

/** Creates or replaces a file entry pointing at registered content. */
export function* commitFile(t: TreeTables, userId: string, file: FileCommit): Steps<Entry> {
  const existing = yield* ask(t.entry(userId, file.path));
  if (existing?.kind === 'folder') throw new ApiError('not_a_file', `${file.path} is a folder`, { entry: toEntry(existing) });
  checkRev(existing, file.ifRev, file.path);
  if (!existing) yield* checkPlace(t, userId, file.path);
  yield* acquire(t, file.contentHash, file.size);
  const seq = yield* ask(t.nextSeq(userId));
  const row: EntryRow = {
    id: existing?.id ?? timeOrderedUuid(),
    path: file.path,
    kind: 'file',
    size: file.size,
    content_hash: file.contentHash,
    rev: String(seq),
    mtime: file.mtime,
  };
  const at = t.now();
  if (existing) {
    if (existing.content_hash === file.contentHash) {
      // The same bytes again: no new version. After acquiring, so the content's count never drops to 0.
      yield* ask(t.releaseContent(existing.content_hash));
      yield* ask(t.forgetCurrentVersion(userId, existing.id));
    } else {
      // The replaced content becomes a version, taking over the entry's reference to it.
      if (!(yield* ask(t.retireVersion(userId, existing.id, at)))) yield* ask(t.releaseContent(existing.content_hash!));
      yield* dropVersions(t, yield* ask(t.versionsBeyond(userId, existing.id, t.maxVersionsPerFile)));
    }
    yield* ask(t.versionWritten(userId, row, file.device ?? null, at));
    yield* ask(t.replaceContent(userId, row));
    return yield* recorded(t, userId, seq, 'update', row);
  }
  yield* ask(t.insertEntry(userId, row));
  yield* ask(t.versionWritten(userId, row, file.device ?? null, at));
  return yield* recorded(t, userId, seq, 'create', row);
}

/**
 * Makes a previous version the file's content again, as a new commit by
 * `restore.device` (the content it replaces becomes a version in turn).
 * Restoring the current version changes nothing.
 */
export function* restoreVersion(t: TreeTables, userId: string, restore: VersionRestore): Steps<Entry> {
  const row = yield* requireFile(t, userId, restore.path);
  checkRev(row, restore.ifRev, restore.path);
  const version = yield* ask(t.version(userId, row.id, restore.versionId));
  if (!version) throw new ApiError('version_not_found', `${restore.path} has no version ${restore.versionId}`);
  if (version.replaced_at === null) return toEntry(row);
  // mtime is now: restoring is a new write, and tools that go by mtime must see the file changed.
  return yield* commitFile(t, userId, {
    path: restore.path, size: version.size, contentHash: version.content_hash, mtime: t.now(), device: restore.device ?? null,
  });
}

/** The file entry at `path`; `not_found`, or `not_a_file` for a folder (only files have versions). */
export function* requireFile(t: TreeTables, userId: string, path: string): Steps<EntryRow> {
  const row = yield* requireEntry(t, userId, path);
  if (row.kind !== 'file') throw new ApiError('not_a_file', `${path} is a folder; only files have versions`, { entry: toEntry(row) });
  return row;
}

/** Deletes version rows; each previous version releases the content reference it held. */
export function* dropVersions(t: TreeTables, rows: readonly VersionRow[]): Steps<number> {
  let dropped = 0;
  for (const version of rows) {
    // Released only by whoever deleted the row: two prunes of one row never release twice.
    if (!(yield* ask(t.removeVersion(version.id)))) continue;
    dropped += 1;
    if (version.replaced_at !== null) yield* ask(t.releaseContent(version.content_hash));
  }
  return dropped;
}

/** Deletes a trash item for good: its files' content references and version histories go with it. */
export function* purgeTrashItem(t: TreeTables, trashId: string, rows: readonly EntryRow[]): Steps<void> {
  for (const row of rows) {
    if (!row.content_hash) continue;
    yield* ask(t.releaseContent(row.content_hash));
    yield* dropVersions(t, yield* ask(t.versionsOfEntry(row.id)));
  }
  yield* ask(t.removeTrash(trashId));
}
