import type { Activity } from '../../../protocol/engine.js';
import type { StateStore, TreeWrite } from '../../db/stateStore.js';
import type { LocalNode } from '../../model.js';
import type { RemoteStore } from '../../remote/remoteStore.js';
import { agreedBase, sameContent, type SyncOp } from '../../sync/ops.js';
import type { LocalOps } from './localOps.js';

type TreeOp = Exclude<SyncOp, { type: 'uploadFile' } | { type: 'downloadFile' }>;

/**
 * Carries out the planned operations that are not transfers, and records
 * what both sides now agree on in the base (and what the disk now holds in
 * the local tree). The remote tree is left to the change feed, its only
 * writer, which every round reads before planning.
 */
export class OpExecutor {
  constructor(
    private readonly remote: RemoteStore,
    private readonly local: LocalOps,
    private readonly state: StateStore,
    private readonly now: () => number,
  ) {}

  /** Returns the activity to report, or null when there is nothing to tell. */
  async run(op: TreeOp, signal: AbortSignal): Promise<Activity | null> {
    const at = this.now();
    switch (op.type) {
      case 'mkdirLocal': {
        const node = await this.local.mkdir(op.path, op.remote.mtime);
        this.write({ tree: 'local', op: 'upsert', node }, { tree: 'base', op: 'upsert', node: agreedBase(node, op.remote) });
        return { at, action: 'created_folder', path: op.path };
      }
      case 'mkdirRemote': {
        const remote = await this.remote.mkdir(op.path, { mtime: op.local.mtime, signal });
        this.write({ tree: 'base', op: 'upsert', node: agreedBase(op.local, remote) });
        return { at, action: 'created_folder', path: op.path };
      }
      case 'deleteLocal':
        await this.local.delete(op.path, op.expectLocal);
        this.write({ tree: 'local', op: 'delete', path: op.path }, { tree: 'base', op: 'delete', path: op.path });
        return { at, action: 'deleted_local', path: op.path };
      case 'deleteRemote':
        await this.remote.delete(op.path, op.ifRev, signal);
        this.write({ tree: 'base', op: 'delete', path: op.path });
        return { at, action: 'deleted_remote', path: op.path };
      case 'moveRemote': {
        const remote = await this.remote.move(op.from, op.to, op.ifRev, signal);
        this.write({ tree: 'base', op: 'move', from: op.from, to: op.to }, { tree: 'base', op: 'upsert', node: agreedBase(op.local, remote) });
        return { at, action: 'moved_remote', path: op.to, otherPath: op.from };
      }
      case 'moveLocal': {
        const node = await this.local.move(op.from, op.to, op.expectLocal);
        // The base follows the move; it takes the remote entry only if both hold the same thing.
        // A file edited and then moved on the service arrives moved but not edited yet: its base
        // keeps the old content, so the next plan downloads the edit instead of uploading the old one.
        const agreed = sameContent(node, op.remote) ? [{ tree: 'base', op: 'upsert', node: agreedBase(node, op.remote) } as const] : [];
        this.write(
          { tree: 'local', op: 'move', from: op.from, to: op.to },
          { tree: 'local', op: 'upsert', node },
          { tree: 'base', op: 'move', from: op.basePath ?? op.from, to: op.to },
          ...agreed,
        );
        return { at, action: 'moved_local', path: op.to, otherPath: op.from };
      }
      case 'conflict':
        return this.moveAside(op.path, op.conflictPath, op.expectLocal);
      case 'updateBase':
        this.write({ tree: 'base', op: 'upsert', node: op.node });
        return null;
      case 'removeBase':
        this.write({ tree: 'base', op: 'delete', path: op.path });
        return null;
    }
  }

  /**
   * Renames the local entry at `path` to `conflictPath` (a conflicted copy's
   * name), which later plans upload: what a conflict does, and what a name
   * the service refuses as a case clash with another device's entry needs.
   */
  async moveAside(path: string, conflictPath: string, expectLocal: LocalNode): Promise<Activity> {
    const at = this.now();
    const node = await this.local.move(path, conflictPath, expectLocal);
    this.write({ tree: 'local', op: 'move', from: path, to: conflictPath }, { tree: 'local', op: 'upsert', node });
    return { at, action: 'conflict', path, otherPath: conflictPath };
  }

  private write(...writes: TreeWrite[]): void {
    this.state.write(writes);
  }
}

export type { TreeOp };
