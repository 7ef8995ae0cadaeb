import type { Change, Entry } from '../../protocol/api.js';
import { isApiError } from '../errors.js';
import type { FileVersion } from '../../protocol/versions.js';

/** Previous versions kept per file unless configured (NETDISK_MAX_VERSIONS). */
export const DEFAULT_MAX_VERSIONS_PER_FILE = 100;

/**
 * The per-user file tree, trash, change feed and content references. Every
 * method is scoped to one user: no call can read or change another user's tree.
 * Methods throw `ApiError` with the protocol's codes (`not_found`, `conflict`
 * with `details.entry`, `already_exists`, `case_conflict`, `parent_not_found`,
 * `not_a_folder`, `not_a_file`, `version_not_found`, `cursor_expired`, ...). Async so that a PostgreSQL adapter
 * can implement the same port.
 */
export interface FileStore {
  getEntry(userId: string, path: string): Promise<Entry | null>;
  /** The live entry with this id wherever it was moved; null once it is deleted (or in the trash). */
  getEntryById(userId: string, id: string): Promise<Entry | null>;
  list(userId: string, folderPath: string): Promise<Entry[]>;
  mkdir(userId: string, path: string, mtime?: number): Promise<Entry>;
  move(userId: string, from: string, to: string, ifRev?: string | null): Promise<Entry>;
  /** Moves the entry (and a folder's subtree) to the trash. */
  delete(userId: string, path: string, ifRev?: string | null): Promise<Entry>;
  listTrash(userId: string): Promise<TrashItem[]>;
  restore(userId: string, trashId: string, to?: string): Promise<Entry>;

  /**
   * Creates or replaces a file entry pointing at stored content. The content
   * must already be registered with `registerContent`. `ifRev`: undefined = no
   * precondition, null = must not exist, string = current rev must equal it.
   * Commits from concurrent requests are grouped into one transaction.
   */
  commitFile(userId: string, file: FileCommit): Promise<Entry>;
  /** Many commits in one transaction; each answered on its own. */
  commitFiles(userId: string, files: FileCommit[]): Promise<CommitResult[]>;
  /**
   * `registerContent` for each file's content, then `commitFiles`, all in one
   * transaction (one fsync): for content the caller has just stored durably.
   * A file refused on its own still leaves its content registered (to be
   * collected unless referenced); a failure of the whole transaction leaves
   * nothing registered.
   */
  registerAndCommitFiles(userId: string, files: FileCommit[]): Promise<CommitResult[]>;

  /**
   * A file's versions, newest first: its current content, then what it held
   * before each replace (at most `maxVersionsPerFile` of them, each until
   * `pruneVersions`). Throws `not_found`, or `not_a_file` for a folder.
   */
  listVersions(userId: string, path: string): Promise<{ entry: Entry; versions: FileVersion[] }>;
  /**
   * Makes a version the file's content again, as a new write by `device`: the
   * content it replaces becomes a version too, and the feed carries an
   * `update`. Restoring the current version changes nothing. Throws
   * `not_found`, `not_a_file`, `conflict` (ifRev) or `version_not_found`.
   */
  restoreVersion(userId: string, restore: VersionRestore): Promise<Entry>;
  /** Deletes previous versions replaced before `before`, releasing their content. */
  pruneVersions(before: number): Promise<number>;

  /** Bytes of the user's files, live and in the trash, and of their previous versions (what counts against the quota). */
  usedBytes(userId: string): Promise<number>;

  /** Changes after `cursor`, in order. Throws `cursor_expired` for a pruned cursor. */
  changes(userId: string, cursor: number, limit: number): Promise<{ changes: Change[]; cursor: number; hasMore: boolean }>;
  /** The newest change number of the user's feed (0 before any change). */
  latestCursor(userId: string): Promise<number>;
  /** Resolves when the user's feed moves past `cursor`, or after `timeoutMs`, or on abort. */
  waitForChange(userId: string, cursor: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;

  /** True when any user's content with this hash is stored and referenced or pending collection. */
  hasContent(contentHash: string): Promise<{ size: number } | null>;
  /** Records that the blob store now holds this content (idempotent). */
  registerContent(contentHash: string, size: number): Promise<void>;
  /**
   * Content no entry (live or in trash) nor version references any more, unreferenced since
   * before `before`: safe for the blob store to delete, then `forgetContent`.
   */
  collectableContent(before: number): Promise<string[]>;
  forgetContent(contentHash: string): Promise<void>;
  /** Deletes trash items older than `before` (and their files' versions), releasing their content. */
  purgeTrash(before: number): Promise<number>;
  /** Drops change rows older than `before`; cursors below them then get `cursor_expired`. */
  pruneChanges(before: number): Promise<number>;
}

export interface FileCommit {
  path: string;
  size: number;
  contentHash: string;
  mtime: number;
  ifRev?: string | null;
  /** The name of the device session writing it, recorded in the version history. */
  device?: string | null;
}

export interface VersionRestore {
  path: string;
  versionId: string;
  ifRev?: string | null;
  /** The device session restoring it: the restored content is its write. */
  device?: string | null;
}

export type CommitResult =
  | { ok: true; entry: Entry }
  | { ok: false; code: string; message: string; details?: Record<string, unknown> };

export interface TrashItem {
  trashId: string;
  entry: Entry;
  deletedAt: number;
}

/** One file of `commitFiles`: its entry, or the refusal (an ApiError) as a value; any other error fails the batch. */
export function commitOutcome(commit: () => Entry): CommitResult;
export function commitOutcome(commit: () => Promise<Entry>): Promise<CommitResult>;
export function commitOutcome(commit: () => Entry | Promise<Entry>): CommitResult | Promise<CommitResult> {
  const refused = (error: unknown): CommitResult => {
    if (!isApiError(error)) throw error;
    return { ok: false, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  };
  try {
    const entry = commit();
    return entry instanceof Promise ? entry.then((value): CommitResult => ({ ok: true, entry: value }), refused) : { ok: true, entry };
  } catch (error) {
    return refused(error);
  }
}
