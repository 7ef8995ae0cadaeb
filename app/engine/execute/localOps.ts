import { dirname } from 'node:path';
import { SyncError } from '../../errors.js';
import { errnoCode, syncErrorFromFs } from '../../fsErrors.js';
import { localNodeOf } from '../../local/scanner.js';
import type { LocalFs } from '../../local/localFs.js';
import type { LocalTrash } from '../../local/trash.js';
import type { LocalNode } from '../../model.js';
import { placedNode, sameLocalState, statLocal, type LocalPaths } from '../../local/localPaths.js';

/**
 * The local file-system side of planned operations. Each re-checks its
 * precondition right before acting, so a file the user touched after the plan
 * is left alone (the next plan decides again).
 */
export class LocalOps {
  constructor(private readonly paths: LocalPaths, private readonly trash: LocalTrash) {}

  private get fs(): LocalFs {
    return this.paths.fs;
  }

  async mkdir(path: string, mtime: number): Promise<LocalNode> {
    const abs = await this.paths.forChange(path);
    const existing = await statLocal(this.fs, abs, path);
    if (existing?.kind === 'file') throw stale(path, 'a file is in the way of a folder');
    if (!existing) {
      const created = await this.fs.mkdir(abs).then(() => true, (error: unknown) => {
        if (errnoCode(error) !== 'EEXIST') throw syncErrorFromFs(error, abs);
        return false;
      });
      if (created) await this.fs.utimes(abs, new Date(), new Date(mtime)).catch(() => {});
    }
    // Something may have been created at the path since the first look: a file there is the user's.
    const node = await this.require(path);
    if (node.kind !== 'folder') throw stale(path, 'a file is in the way of a folder');
    return node;
  }

  /** Files go to the trash; a folder is removed only when empty (its children went first, one by one). */
  async delete(path: string, expect: LocalNode): Promise<void> {
    const abs = await this.paths.forChange(path);
    const now = await statLocal(this.fs, abs, path);
    if (now === null) return;
    if (!sameLocalState(now, expect)) throw stale(path, 'it changed since the decision to delete it');
    if (now.kind === 'folder') {
      try {
        await this.fs.rmdir(abs);
      } catch (error) {
        if (errnoCode(error) === 'ENOTEMPTY' || errnoCode(error) === 'EEXIST') throw stale(path, 'new files appeared inside');
        throw syncErrorFromFs(error, abs);
      }
    } else {
      // The user may rewrite the file while the trash prepares its slot: the trash looks again right before it moves the file.
      await this.trash.moveToTrash(abs, (stats) => {
        if (!sameLocalState(localNodeOf(path, stats), expect)) throw stale(path, 'it changed since the decision to delete it');
      });
    }
    this.paths.forget(path, now.kind);
  }

  /** Renames `from` to `to` if `from` is still `expect` and `to` is free. */
  async move(from: string, to: string, expect: LocalNode): Promise<LocalNode> {
    const source = await this.paths.forChange(from);
    const target = await this.paths.forChange(to);
    if (!sameLocalState(await statLocal(this.fs, source, from), expect)) throw stale(from, 'it changed since the decision to move it');
    if (await statLocal(this.fs, target, to)) throw stale(to, 'something already exists at the destination');
    await this.fs.mkdir(dirname(target), { recursive: true }).catch((error: unknown) => { throw syncErrorFromFs(error, target); });
    await this.fs.rename(source, target).catch((error: unknown) => { throw syncErrorFromFs(error, source); });
    this.paths.forget(from, expect.kind);
    return placedNode(await this.require(to), expect, expect.contentHash);
  }

  private async require(path: string): Promise<LocalNode> {
    const node = await statLocal(this.fs, this.paths.abs(path), path);
    if (!node) throw stale(path, 'it vanished');
    return node;
  }
}

function stale(path: string, why: string): SyncError {
  return new SyncError('file_changed', `${path} was left alone: ${why}`, { path, retryable: false });
}
