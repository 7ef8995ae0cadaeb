import { lstatSync } from 'node:fs';
import { cp, link, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';

/**
 * The local file system as a port: the operations the engine, the scanner,
 * the transfers and the trash actually use, and nothing else. Production
 * passes `nodeLocalFs`; the simulation suite (test/sim) passes an in-memory
 * tree with the same errno failures (ENOENT, EEXIST, ENOTEMPTY, ENOSPC, ...)
 * and the same inode, mtime and ctime semantics. The shapes are the subsets
 * of node:fs's own types that the callers read, so node's values fit as they are.
 */
export interface LocalStats {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  size: number;
  mtimeMs: number;
  /** Moves on every write, rename and utimes: with the inode, what says a file is still the version seen. */
  ctimeMs: number;
  dev: number;
  ino: number;
}

export interface LocalDirent {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** An open file: positional reads and writes, as node's FileHandle does them. */
export interface LocalFileHandle {
  /** The opened file's own stats (fstat): the inode opened, whatever is at its path now. */
  stat(): Promise<LocalStats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /** All of the opened file's bytes. */
  readFile(): Promise<Uint8Array>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalFs {
  lstat(path: string): Promise<LocalStats>;
  /** Synchronous on purpose for the scanner's walk (see Scanner: 4-5x cheaper from the page cache). */
  lstatSync(path: string): LocalStats;
  stat(path: string): Promise<LocalStats>;
  readdir(path: string): Promise<string[]>;
  readdirEntries(path: string): Promise<LocalDirent[]>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  rmdir(path: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** A hard link; fails with EEXIST rather than replace `newPath`. */
  link(existing: string, newPath: string): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** `flag: 'wx'` fails with EEXIST when the file exists. */
  writeFile(path: string, data: string | Uint8Array, options?: { flag?: 'w' | 'wx'; mode?: number }): Promise<void>;
  /**
   * `'r'`, `'r+'`, `'a'` as node takes them, or node's numeric open flags
   * (`fs.constants`) for a read-only open with O_NOFOLLOW (ELOOP on a
   * symlink) and O_NONBLOCK (no wait on a FIFO).
   */
  open(path: string, flags: 'r' | 'r+' | 'a' | number): Promise<LocalFileHandle>;
  /** Copies a file or folder with its timestamps, refusing to overwrite (a move across devices). */
  copyTree(from: string, to: string): Promise<void>;
}

/** The real file system, through node:fs. */
export const nodeLocalFs: LocalFs = {
  lstat: (path) => lstat(path),
  lstatSync: (path) => lstatSync(path),
  stat: (path) => stat(path),
  readdir: (path) => readdir(path),
  readdirEntries: (path) => readdir(path, { withFileTypes: true }),
  mkdir: async (path, options) => {
    await mkdir(path, options);
  },
  rmdir: (path) => rmdir(path),
  rm: (path, options) => rm(path, options),
  unlink: (path) => unlink(path),
  rename: (from, to) => rename(from, to),
  link: (existing, newPath) => link(existing, newPath),
  utimes: (path, atime, mtime) => utimes(path, atime, mtime),
  readFile: (path) => readFile(path),
  writeFile: (path, data, options) => writeFile(path, data, options),
  open: (path, flags) => open(path, flags),
  copyTree: (from, to) => cp(from, to, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false, verbatimSymlinks: true }),
};
