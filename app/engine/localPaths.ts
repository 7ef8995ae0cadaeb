import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../fsErrors.js';
import { ROOT, isSameOrBelow, parentOf } from '../../protocol/paths.js';
import { localNodeOf } from '../local/scanner.js';
import type { LocalNode, NodeKind } from '../model.js';
import { syncErrorFromFs } from '../fsErrors.js';

/**
 * Maps drive paths to files under the sync root. A name stored NFD on disk
 * keeps its on-disk spelling (the scanner reports it); everything the engine
 * creates itself is written under its NFC drive path.
 */
export class LocalPaths {
  private realPaths = new Map<string, string>();

  constructor(readonly root: string) {}

  setRealPaths(realPaths: Map<string, string>): void {
    this.realPaths = realPaths;
  }

  /**
   * The path on disk. One the last scan did not see (a download or a new
   * folder inside a folder stored NFD) gets the on-disk spelling of its
   * nearest scanned ancestor, so it lands in that folder, not beside it.
   */
  abs(drivePath: string): string {
    for (let path = drivePath; path !== ROOT; path = parentOf(path)) {
      const real = this.realPaths.get(path);
      if (real !== undefined) return join(this.root, real, drivePath.slice(path.length));
    }
    return join(this.root, drivePath);
  }

  /** After looking again at `roots` (each with its subtree): their spellings are the ones in `realPaths`. */
  rememberBelow(roots: readonly string[], realPaths: ReadonlyMap<string, string>): void {
    for (const root of roots) this.forget(root, 'folder');
    for (const [path, real] of realPaths) this.realPaths.set(path, real);
  }

  /** Forget spellings at a path the engine just moved or removed (and, for a folder, below it). */
  forget(drivePath: string, kind: NodeKind): void {
    this.realPaths.delete(drivePath);
    if (kind === 'file') return;
    for (const path of [...this.realPaths.keys()]) {
      if (isSameOrBelow(path, drivePath)) this.realPaths.delete(path);
    }
  }
}

/** What the path holds now (without a content hash), or null when nothing is there. */
export async function statLocal(absPath: string, drivePath: string): Promise<LocalNode | null> {
  try {
    const stats = await lstat(absPath);
    if (!stats.isFile() && !stats.isDirectory()) return null;
    return localNodeOf(drivePath, stats);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return null;
    throw syncErrorFromFs(error, absPath);
  }
}

/** The precondition check: the file is still exactly what a decision saw (hash aside). */
export function sameLocalState(now: LocalNode | null, expected: LocalNode | null): boolean {
  if (now === null || expected === null) return now === expected;
  if (now.kind !== expected.kind) return false;
  if (now.kind === 'folder') return true;
  return now.size === expected.size && now.mtime === expected.mtime && now.inode === expected.inode
    && (now.ctime === undefined || expected.ctime === undefined || now.ctime === expected.ctime);
}
