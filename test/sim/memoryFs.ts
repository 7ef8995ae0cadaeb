import { constants } from 'node:fs';
import { posix } from 'node:path';
import type { LocalDirent, LocalFileHandle, LocalFs, LocalStats } from '../../app/local/localFs.js';

/**
 * A file system in memory with the semantics the engine relies on: inodes
 * (a rename keeps one, a hard link shares one, an open handle keeps reading
 * the inode it opened), mtime set by writes and utimes, ctime moving on every
 * change and never settable, and node's errno codes for every refusal. All
 * calls are synchronous underneath; `view` gives the async LocalFs an engine
 * uses, with a scheduling gate and injectable failures before each call.
 */
interface Inode {
  ino: number;
  kind: 'file' | 'folder';
  data: Uint8Array;
  children: Map<string, Inode> | null;
  mtimeMs: number;
  ctimeMs: number;
}

export type FsOp =
  | 'lstat' | 'stat' | 'readdir' | 'mkdir' | 'rmdir' | 'rm' | 'unlink' | 'rename' | 'link' | 'utimes'
  | 'readFile' | 'writeFile' | 'open' | 'fstat' | 'read' | 'write' | 'truncate' | 'sync' | 'copyTree';

/** Calls that change the tree or a file's bytes or times. */
export const MUTATING: ReadonlySet<FsOp> = new Set(['mkdir', 'rmdir', 'rm', 'unlink', 'rename', 'link', 'utimes', 'writeFile', 'write', 'truncate', 'copyTree']);

/**
 * Calls that may need a new block or inode: the only ones a full disk
 * refuses with ENOSPC. Removing, reading, utimes and shrinking never do
 * (a fault that failed the rm of a probe file with ENOSPC had the engine
 * chase a failure no disk gives).
 */
export const ALLOCATING: ReadonlySet<FsOp> = new Set(['mkdir', 'rename', 'link', 'writeFile', 'write', 'copyTree']);

export interface FsHooks {
  /** Awaited before every async call: where the simulation interleaves other work. */
  gate(op: FsOp, path: string): Promise<void>;
  /** An errno code to fail this call with (ENOSPC, EIO, EACCES...), or null. */
  fault(op: FsOp, path: string): string | null;
}

export function fsError(code: string, op: string, path: string): Error {
  // Without a stack: ENOENT is an everyday answer here, and capturing stacks was a tenth of the simulation's time.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(`${code}: ${op} '${path}'`), { code, syscall: op, path });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const DEV = 1;

export class MemoryFs {
  private readonly root: Inode;
  private nextIno = 2;
  private lastCtimeUs = 0;
  /** Told of every change with the paths it touched (both ends of a rename). */
  readonly listeners: ((op: FsOp, paths: string[]) => void)[] = [];

  constructor(private readonly now: () => number) {
    this.root = this.inode('folder');
  }

  // ---- synchronous core -------------------------------------------------

  lstatNow(path: string): LocalStats {
    return statsOf(this.resolve(path, 'lstat'));
  }

  exists(path: string): boolean {
    return this.lookup(path) !== null;
  }

  readdirNow(path: string): LocalDirent[] {
    const node = this.resolve(path, 'scandir');
    if (!node.children) throw fsError('ENOTDIR', 'scandir', path);
    return [...node.children.keys()].sort().map((name) => direntOf(name, node.children!.get(name)!));
  }

  mkdirNow(path: string, recursive = false): void {
    const existing = this.lookup(path);
    if (existing) {
      if (recursive && existing.kind === 'folder') return;
      throw fsError('EEXIST', 'mkdir', path);
    }
    const parentPath = posix.dirname(path);
    let parent = this.lookup(parentPath);
    if (!parent) {
      if (!recursive) throw fsError('ENOENT', 'mkdir', path);
      this.mkdirNow(parentPath, true);
      parent = this.lookup(parentPath)!;
    }
    if (!parent.children) throw fsError('ENOTDIR', 'mkdir', path);
    this.attach(parent, posix.basename(path), this.inode('folder'));
    this.changed('mkdir', [path]);
  }

  rmdirNow(path: string): void {
    const { parent, name, node } = this.entry(path, 'rmdir');
    if (!node.children) throw fsError('ENOTDIR', 'rmdir', path);
    if (node.children.size > 0) throw fsError('ENOTEMPTY', 'rmdir', path);
    this.detach(parent, name);
    this.changed('rmdir', [path]);
  }

  rmNow(path: string, options: { recursive?: boolean; force?: boolean } = {}): void {
    const node = this.lookup(path);
    if (!node) {
      if (options.force) return;
      throw fsError('ENOENT', 'rm', path);
    }
    if (node.kind === 'folder' && !options.recursive) throw fsError('EISDIR', 'rm', path);
    const { parent, name } = this.entry(path, 'rm');
    this.detach(parent, name);
    this.changed('rm', [path]);
  }

  unlinkNow(path: string): void {
    const { parent, name, node } = this.entry(path, 'unlink');
    if (node.kind === 'folder') throw fsError('EISDIR', 'unlink', path);
    this.detach(parent, name);
    this.changed('unlink', [path]);
  }

  renameNow(from: string, to: string): void {
    const source = this.entry(from, 'rename');
    const targetParent = this.lookup(posix.dirname(to));
    if (!targetParent) throw fsError('ENOENT', 'rename', to);
    if (!targetParent.children) throw fsError('ENOTDIR', 'rename', to);
    if (source.node.kind === 'folder' && (to === from || to.startsWith(`${from}/`))) {
      if (to === from) return;
      throw fsError('EINVAL', 'rename', to);
    }
    const occupant = targetParent.children.get(posix.basename(to));
    if (occupant === source.node) return;
    if (occupant) {
      if (source.node.kind === 'file' && occupant.kind === 'folder') throw fsError('EISDIR', 'rename', to);
      if (source.node.kind === 'folder' && occupant.kind === 'file') throw fsError('ENOTDIR', 'rename', to);
      if (occupant.children && occupant.children.size > 0) throw fsError('ENOTEMPTY', 'rename', to);
    }
    this.detach(source.parent, source.name);
    this.attach(targetParent, posix.basename(to), source.node);
    source.node.ctimeMs = this.ctime();
    this.changed('rename', [from, to]);
  }

  linkNow(existing: string, newPath: string): void {
    const node = this.resolve(existing, 'link');
    if (node.kind === 'folder') throw fsError('EPERM', 'link', existing);
    const parent = this.lookup(posix.dirname(newPath));
    if (!parent) throw fsError('ENOENT', 'link', newPath);
    if (!parent.children) throw fsError('ENOTDIR', 'link', newPath);
    if (parent.children.has(posix.basename(newPath))) throw fsError('EEXIST', 'link', newPath);
    this.attach(parent, posix.basename(newPath), node);
    node.ctimeMs = this.ctime();
    this.changed('link', [newPath]);
  }

  utimesNow(path: string, mtimeMs: number): void {
    const node = this.resolve(path, 'utime');
    node.mtimeMs = mtimeMs;
    node.ctimeMs = this.ctime();
    this.changed('utimes', [path]);
  }

  readFileNow(path: string): Uint8Array {
    const node = this.resolve(path, 'open');
    if (node.kind === 'folder') throw fsError('EISDIR', 'read', path);
    return node.data.slice();
  }

  /** Creates or overwrites in place (same inode), as write(2) on an open file does. */
  writeFileNow(path: string, data: Uint8Array, exclusive = false, mtimeMs = this.now()): void {
    const existing = this.lookup(path);
    if (existing) {
      if (exclusive) throw fsError('EEXIST', 'open', path);
      if (existing.kind === 'folder') throw fsError('EISDIR', 'open', path);
      existing.data = new Uint8Array(data);
      existing.mtimeMs = mtimeMs;
      existing.ctimeMs = this.ctime();
    } else {
      const parent = this.lookup(posix.dirname(path));
      if (!parent) throw fsError('ENOENT', 'open', path);
      if (!parent.children) throw fsError('ENOTDIR', 'open', path);
      const node = this.inode('file');
      node.data = new Uint8Array(data);
      node.mtimeMs = mtimeMs;
      this.attach(parent, posix.basename(path), node);
    }
    this.changed('writeFile', [path]);
  }

  copyTreeNow(from: string, to: string): void {
    const source = this.resolve(from, 'cp');
    if (this.lookup(to)) throw fsError('EEXIST', 'cp', to);
    if (source.kind === 'file') {
      this.writeFileNow(to, source.data, true, source.mtimeMs);
      return;
    }
    this.mkdirNow(to);
    for (const name of [...source.children!.keys()].sort()) this.copyTreeNow(`${from}/${name}`, `${to}/${name}`);
    this.resolve(to, 'cp').mtimeMs = source.mtimeMs;
  }

  /** Every file and folder below `dir` (relative paths, sorted), with each file's bytes. */
  walk(dir: string): Map<string, { kind: 'file' | 'folder'; data: Uint8Array; ino: number }> {
    const out = new Map<string, { kind: 'file' | 'folder'; data: Uint8Array; ino: number }>();
    const node = this.lookup(dir);
    if (!node?.children) return out;
    const visit = (folder: Inode, prefix: string) => {
      for (const name of [...folder.children!.keys()].sort()) {
        const child = folder.children!.get(name)!;
        const rel = prefix === '' ? name : `${prefix}/${name}`;
        out.set(rel, { kind: child.kind, data: child.data, ino: child.ino });
        if (child.children) visit(child, rel);
      }
    };
    visit(node, '');
    return out;
  }

  /** The async port an engine uses: `hooks.gate` before each call, then maybe an injected failure. */
  view(hooks: FsHooks): LocalFs {
    const call = async <T>(op: FsOp, path: string, run: () => T): Promise<T> => {
      await hooks.gate(op, path);
      const failure = hooks.fault(op, path);
      if (failure) throw fsError(failure, op, path);
      return run();
    };
    return {
      lstat: (path) => call('lstat', path, () => this.lstatNow(path)),
      lstatSync: (path) => {
        const failure = hooks.fault('lstat', path);
        if (failure) throw fsError(failure, 'lstat', path);
        return this.lstatNow(path);
      },
      stat: (path) => call('stat', path, () => this.lstatNow(path)),
      readdir: (path) => call('readdir', path, () => this.readdirNow(path).map((entry) => entry.name)),
      readdirEntries: (path) => call('readdir', path, () => this.readdirNow(path)),
      mkdir: (path, options) => call('mkdir', path, () => this.mkdirNow(path, options?.recursive ?? false)),
      rmdir: (path) => call('rmdir', path, () => this.rmdirNow(path)),
      rm: (path, options) => call('rm', path, () => this.rmNow(path, options)),
      unlink: (path) => call('unlink', path, () => this.unlinkNow(path)),
      rename: (from, to) => call('rename', from, () => this.renameNow(from, to)),
      link: (existing, newPath) => call('link', newPath, () => this.linkNow(existing, newPath)),
      utimes: (path, _atime, mtime) => call('utimes', path, () => this.utimesNow(path, mtime.getTime())),
      readFile: (path) => call('readFile', path, () => this.readFileNow(path)),
      writeFile: (path, data, options) => call('writeFile', path,
        () => this.writeFileNow(path, typeof data === 'string' ? new TextEncoder().encode(data) : data, options?.flag === 'wx')),
      open: (path, flags) => call('open', path, () => this.openNow(flags, path, call)),
      copyTree: (from, to) => call('copyTree', to, () => this.copyTreeNow(from, to)),
    };
  }

  private openNow(given: 'r' | 'r+' | 'a' | number, path: string, call: <T>(op: FsOp, path: string, run: () => T) => Promise<T>): LocalFileHandle {
    const flags = openMode(given);
    let node = this.lookup(path);
    if (!node) {
      if (flags !== 'a') throw fsError('ENOENT', 'open', path);
      this.writeFileNow(path, new Uint8Array(0), true);
      node = this.lookup(path)!;
    }
    if (node.kind === 'folder' && flags !== 'r') throw fsError('EISDIR', 'open', path);
    const file = node;
    let open = true;
    const use = () => {
      if (!open) throw fsError('EBADF', 'read', path);
    };
    return {
      stat: () => call('fstat', path, () => {
        use();
        return statsOf(file);
      }),
      readFile: () => call('read', path, () => {
        use();
        if (file.kind === 'folder') throw fsError('EISDIR', 'read', path);
        return file.data.slice();
      }),
      read: (buffer, offset, length, position) => call('read', path, () => {
        use();
        const bytes = file.data.subarray(position, position + length);
        buffer.set(bytes, offset);
        return { bytesRead: bytes.length };
      }),
      write: (buffer, offset, length, position) => call('write', path, () => {
        use();
        const end = position + length;
        if (end > file.data.length) {
          const grown = new Uint8Array(end);
          grown.set(file.data);
          file.data = grown;
        }
        file.data.set(buffer.subarray(offset, offset + length), position);
        file.mtimeMs = this.now();
        file.ctimeMs = this.ctime();
        this.changed('write', [path]);
        return { bytesWritten: length };
      }),
      truncate: (length) => call('truncate', path, () => {
        use();
        const resized = new Uint8Array(length);
        resized.set(file.data.subarray(0, length));
        file.data = resized;
        file.mtimeMs = this.now();
        file.ctimeMs = this.ctime();
        this.changed('truncate', [path]);
      }),
      sync: () => call('sync', path, () => use()),
      close: async () => {
        open = false;
      },
    };
  }

  // ---- internals ----------------------------------------------------------

  private inode(kind: 'file' | 'folder'): Inode {
    const now = this.now();
    return { ino: this.nextIno++, kind, data: new Uint8Array(0), children: kind === 'folder' ? new Map() : null, mtimeMs: now, ctimeMs: this.ctime() };
  }

  /** Strictly increasing, sub-millisecond: two changes within one virtual millisecond still differ, as on a real disk. */
  private ctime(): number {
    this.lastCtimeUs = Math.max(this.now() * 1000, this.lastCtimeUs + 1);
    return this.lastCtimeUs / 1000;
  }

  private lookup(path: string): Inode | null {
    let node: Inode = this.root;
    for (const name of path.split('/')) {
      if (name === '') continue;
      const child = node.children?.get(name);
      if (!child) return null;
      node = child;
    }
    return node;
  }

  private resolve(path: string, op: string): Inode {
    let node: Inode = this.root;
    for (const name of path.split('/')) {
      if (name === '') continue;
      if (!node.children) throw fsError('ENOTDIR', op, path);
      const child = node.children.get(name);
      if (!child) throw fsError('ENOENT', op, path);
      node = child;
    }
    return node;
  }

  private entry(path: string, op: string): { parent: Inode; name: string; node: Inode } {
    const parent = this.resolve(posix.dirname(path), op);
    if (!parent.children) throw fsError('ENOTDIR', op, path);
    const name = posix.basename(path);
    const node = parent.children.get(name);
    if (!node) throw fsError('ENOENT', op, path);
    return { parent, name, node };
  }

  private attach(parent: Inode, name: string, node: Inode): void {
    parent.children!.set(name, node);
    parent.mtimeMs = this.now();
    parent.ctimeMs = this.ctime();
  }

  private detach(parent: Inode, name: string): void {
    parent.children!.delete(name);
    parent.mtimeMs = this.now();
    parent.ctimeMs = this.ctime();
  }

  private changed(op: FsOp, paths: string[]): void {
    for (const listener of this.listeners) listener(op, paths);
  }
}

/**
 * Node's numeric flags, as the batch uploader opens a file (read only, no
 * symlink followed, no wait on a FIFO), read as the string mode they stand
 * for. This disk has no symlinks or FIFOs, so those two bits change nothing
 * here; any other flag is refused loudly rather than half-understood.
 */
function openMode(flags: 'r' | 'r+' | 'a' | number): 'r' | 'r+' | 'a' {
  if (typeof flags === 'string') return flags;
  const understood = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  if ((flags & ~understood) !== 0) throw new Error(`MemoryFs.open: flags ${flags} are not simulated`);
  return 'r';
}

function statsOf(node: Inode): LocalStats {
  const folder = node.kind === 'folder';
  return {
    isFile: () => !folder,
    isDirectory: () => folder,
    isSymbolicLink: () => false,
    size: folder ? 0 : node.data.length,
    mtimeMs: node.mtimeMs,
    ctimeMs: node.ctimeMs,
    dev: DEV,
    ino: node.ino,
  };
}

function direntOf(name: string, node: Inode): LocalDirent {
  return { name, isFile: () => node.kind === 'file', isDirectory: () => node.kind === 'folder', isSymbolicLink: () => false };
}
