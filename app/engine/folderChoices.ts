import type { FolderChoice, FolderChoiceState, FolderListing } from '../../protocol/folders.js';
import { ROOT, checkPath, isSameOrBelow, joinPath, parentOf } from '../../protocol/paths.js';
import type { FolderRule, FolderRuleState } from '../model.js';
import type { StateStore } from '../db/stateStore.js';
import { SyncError } from '../errors.js';

/**
 * Selective sync, as the user sees it: which remote folders this computer
 * keeps. Choices are rules in the state database (so they survive restarts,
 * and a CLI run and a running engine on the same folder see the same ones);
 * the engine acts on them in its rounds (engine/plan/folderSelection.ts). Folder
 * sizes come from the client's copy of the service's tree, as of the last
 * change-feed pull: no extra request, and the same figures offline.
 */
export class FolderChoices {
  constructor(private readonly state: StateStore, private readonly changed: () => void = () => {}) {}

  /** The folders directly inside `path` (the root: the top-level ones), with sizes and whether they are kept. */
  list(path: string = ROOT): FolderListing {
    const parent = this.folderPath(path, true);
    const store = this.state.folderRules;
    const rules = store.rules();
    const folders: FolderChoice[] = store.remoteChildren(parent)
      .filter((child) => child.kind === 'folder')
      .map((child) => {
        const childPath = joinPath(parent, child.name);
        return { path: childPath, name: child.name, size: child.size, files: child.files, hasFolders: child.hasFolders, state: stateOf(childPath, rules) };
      });
    return { path: parent, syncNewFolders: store.syncNewFolders(), folders };
  }

  /**
   * Stops keeping the remote folder `path` here. Nothing changes on the
   * service; the local copy goes (to the trash) once every local edit inside
   * is on the service. Rules for folders inside it are folded into this one.
   */
  exclude(path: string): void {
    const folder = this.folderPath(path);
    const rules = this.state.folderRules.rules();
    if (rules.some((rule) => rule.state !== 'kept' && isSameOrBelow(folder, rule.path))) return;
    this.state.folderRules.change([folder], [{ path: folder, state: 'leaving' }]);
    this.changed();
  }

  /**
   * Keeps the remote folder `path` (with everything inside) here again; the
   * engine downloads it. Inside an excluded folder, that folder becomes kept
   * with its other subfolders excluded, so only `path` comes back.
   */
  include(path: string): void {
    const folder = this.folderPath(path);
    const rules = this.state.folderRules.rules();
    const clear = [folder];
    const set: FolderRule[] = [];
    const outer = rules.find((rule) => rule.state !== 'kept' && rule.path !== folder && isSameOrBelow(folder, rule.path));
    if (outer) {
      clear.push(outer.path);
      set.push(...this.siblingsAlong(outer.path, folder, outer.state));
    }
    // A top-level folder kept on purpose is not "new" to the sync-new-folders setting while it downloads.
    const top = topLevelOf(folder);
    if (!set.some((rule) => rule.path === top)) set.push({ path: top, state: 'kept' });
    this.state.folderRules.change(clear, set);
    this.changed();
  }

  /** Whether `path` is kept on this computer: no excluded (or leaving) folder at or above it. */
  keeps(path: string): boolean {
    const state = stateOf(path, this.state.folderRules.rules());
    return state === 'kept' || state === 'partial';
  }

  syncNewFolders(): boolean {
    return this.state.folderRules.syncNewFolders();
  }

  /** Whether top-level folders that appear on the service from now on are synced here. */
  setSyncNewFolders(on: boolean): void {
    this.state.folderRules.setSyncNewFolders(on);
    this.changed();
  }

  /** Rules excluding every folder beside the way from `outer` down to `folder`. */
  private siblingsAlong(outer: string, folder: string, state: FolderRuleState): FolderRule[] {
    const rules: FolderRule[] = [];
    for (let dir = parentOf(folder), onTheWay = folder; isSameOrBelow(dir, outer); onTheWay = dir, dir = parentOf(dir)) {
      for (const child of this.state.folderRules.remoteChildren(dir)) {
        const childPath = joinPath(dir, child.name);
        if (child.kind === 'folder' && childPath !== onTheWay) rules.push({ path: childPath, state });
      }
      if (dir === outer) break;
    }
    return rules;
  }

  /** A drive path naming a folder on the service as this client last saw it. */
  private folderPath(input: string, rootAllowed = false): string {
    const checked = checkPath(input);
    if (!checked.ok) throw new SyncError('not_found', `"${input}" is not a drive path: ${checked.reason}`, { retryable: false });
    if (checked.path === ROOT) {
      if (rootAllowed) return ROOT;
      throw new SyncError('not_found', 'the root is always kept: choose a folder inside it', { retryable: false });
    }
    if (this.state.node('remote', checked.path)?.kind !== 'folder') {
      throw new SyncError('not_found', `there is no folder ${checked.path} on the service (as of the last sync)`, { path: checked.path, retryable: false });
    }
    return checked.path;
  }
}

function topLevelOf(path: string): string {
  let top = path;
  while (parentOf(top) !== ROOT) top = parentOf(top);
  return top;
}

/** What the rules say about one folder. */
function stateOf(path: string, rules: readonly FolderRule[]): FolderChoiceState {
  let inside: FolderChoiceState = 'kept';
  for (const rule of rules) {
    if (rule.state === 'kept') continue;
    if (isSameOrBelow(path, rule.path)) return rule.state === 'leaving' ? 'excluding' : 'excluded';
    if (isSameOrBelow(rule.path, path)) inside = 'partial';
  }
  return inside;
}
