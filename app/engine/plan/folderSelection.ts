import { isSameOrBelow } from '../../../protocol/paths.js';
import type { FolderRuleState } from '../../model.js';
import type { StateStore } from '../../db/stateStore.js';
import type { LocalTrash } from '../../local/trash.js';
import type { SyncOp } from '../../sync/ops.js';
import type { SyncTrees } from '../../sync/planner.js';
import { applySelection, opPaths, type Selection } from '../../sync/selective.js';
import type { ChangeTracker } from './changeTracker.js';
import { statLocal, type LocalPaths } from '../../local/localPaths.js';

/** What a plan found about the folder rules; `scope` null when it covered the whole trees. */
export interface SelectionFinding {
  selection: Pick<Selection, 'gone' | 'newlyExcluded' | 'leaving'>;
  ops: readonly SyncOp[];
  scope: readonly string[] | null;
}

/**
 * The engine's side of selective sync (the user's side is FolderChoices):
 * hands the rules to each plan, notices rule changes between rounds (made by
 * this process or by `netdisk-sync folders` on the same state), records what
 * a plan found, and lets go of a folder's local copy once it is all on the
 * service.
 */
export class FolderSelection {
  /** The rules as the last round saw them; null before the first round (which plans everything anyway). */
  private known: Map<string, FolderRuleState> | null = null;

  constructor(private readonly state: StateStore, private readonly paths: LocalPaths, private readonly trash: LocalTrash) {}

  /**
   * At the start of a round: every folder whose rule changed is planned again
   * (its subtree only), and so is every folder being let go of, until its
   * local copy is gone.
   */
  markChanges(changes: ChangeTracker): void {
    const now = new Map(this.state.folderRules.rules().map((rule) => [rule.path, rule.state]));
    const known = this.known;
    if (known !== null) {
      const changed = [...new Set([...known.keys(), ...now.keys()])].filter((path) => known.get(path) !== now.get(path));
      changes.markPlan(changed);
    }
    changes.markPlan([...now].filter(([, state]) => state === 'leaving').map(([path]) => path));
    this.known = now;
  }

  /** The planner's hook: the trees with the rules applied. */
  apply(trees: SyncTrees, host: string, now: number): Selection {
    const rules = this.state.folderRules;
    return applySelection(trees, rules.rules(), { syncNewFolders: rules.syncNewFolders(), host, now });
  }

  /**
   * After planning: records new and vanished rules, and removes the local
   * copy of each folder being let go of whose every local file is on the
   * service (unchanged since the last sync, or equal to the service's
   * version) and that this plan has nothing left to do in. Returns those folders.
   */
  async settle(found: SelectionFinding): Promise<string[]> {
    const { selection, ops, scope } = found;
    if (selection.gone.length > 0 || selection.newlyExcluded.length > 0) {
      this.state.folderRules.change(selection.gone, selection.newlyExcluded.map((path) => ({ path, state: 'excluded' })));
    }
    const released: string[] = [];
    for (const folder of selection.leaving) {
      if (scope !== null && !scope.some((root) => isSameOrBelow(root, folder) || isSameOrBelow(folder, root))) continue;
      if (ops.some((op) => opPaths(op).some((path) => isSameOrBelow(path, folder)))) continue;
      if (!this.allOnService(folder)) continue;
      await this.release(folder);
      released.push(folder);
    }
    return released;
  }

  private allOnService(folder: string): boolean {
    const { state } = this;
    const top = state.node('local', folder);
    for (const node of top ? [top, ...state.below('local', folder)] : state.below('local', folder)) {
      if (node.kind === 'folder') continue;
      if (node.contentHash === null) return false;
      const base = state.node('base', node.path);
      if (base?.kind === 'file' && base.contentHash === node.contentHash) continue;
      const remote = state.node('remote', node.path);
      if (remote?.kind === 'file' && remote.contentHash === node.contentHash) continue;
      return false;
    }
    return true;
  }

  /**
   * The local copy goes to the trash as one folder (with any ignored files
   * inside, which stay recoverable there), then the trees forget it and the
   * rule says `excluded`. A crash in between is safe: the folder is still
   * `leaving`, so its absence is never sent to the service as deletions.
   */
  private async release(folder: string): Promise<void> {
    const abs = await this.paths.forChange(folder);
    if (await statLocal(this.paths.fs, abs, folder)) await this.trash.moveToTrash(abs);
    this.paths.forget(folder, 'folder');
    this.state.write([{ tree: 'local', op: 'delete', path: folder }, { tree: 'base', op: 'delete', path: folder }]);
    this.state.folderRules.change([], [{ path: folder, state: 'excluded' }]);
    this.known?.set(folder, 'excluded');
  }
}
