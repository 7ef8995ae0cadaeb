/**
 * The message contract between the engine (app/hash) and the hashing worker
 * (native-workers/hashWorker): app may reach the worker only by file path, so
 * the shape both sides agree on lives here.
 */

/** A byte range of one file, [start, end); `start` is a multiple of BLOCK_SIZE. */
export interface HashRangeTask {
  path: string;
  start: number;
  end: number;
}

export interface HashRangeResult {
  /** Hex SHA-256 of each 4 MiB block in the range, in order. */
  blockHashes: string[];
  /** Bytes actually read: less than `end - start` means the file shrank meanwhile. */
  bytesRead: number;
}

/**
 * Whole files hashed in one task, in the worker from open to the last stat:
 * a folder of small files then costs the engine's thread one message per
 * batch instead of two stats and a message per file. A file larger than
 * `maxBytes` is left to the range tasks.
 */
export interface HashFilesTask {
  paths: string[];
  maxBytes: number;
  /** Return each file's bytes too (an upload sends the bytes it hashed). */
  keepBytes: boolean;
}

/** The identity of a file version: what says it is still the version that was read. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** What an fstat of the opened file said, as the engine compares it with what it planned. */
export interface OpenedFile extends FileIdentity {
  ctimeMs: number;
}

export type HashFileResult =
  | { status: 'hashed'; blockHashes: string[]; file: OpenedFile; bytes?: Uint8Array }
  /** Larger than `maxBytes`: not read. */
  | { status: 'large' }
  /** Not a regular file (a folder, a FIFO, a device). */
  | { status: 'not_file' }
  /** Replaced, grown, shrunk or deleted while it was read. */
  | { status: 'changed' }
  /** The errno code of the failed open, fstat or read; a thrown error crosses threads without it. */
  | { status: 'error'; code: string | null; message: string };

/**
 * The same file version, before and after a read. Inode too: an editor that
 * saves by writing a new file and renaming it over the old one can keep size
 * and mtime (to the ms) yet change the content.
 */
export function sameVersion(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.dev === b.dev;
}
