import { existsSync } from 'node:fs';
import type { Conflict } from '../../protocol/bridge.js';
import type { Activity } from '../../protocol/engine.js';
import { parseConflictedCopyName } from '../sync/conflictName.js';

/**
 * The conflicts still waiting for the user: every `conflict` activity of the
 * engine whose conflicted copy is still in the folder. Once the user deletes,
 * renames or keeps one version, the copy is gone and so is the conflict.
 */
export class ConflictList {
  private readonly byId = new Map<string, Conflict>();

  /** `localPath` maps a drive path to the file in the sync folder. */
  constructor(private readonly localPath: (drivePath: string) => string) {}

  /** Takes a conflict activity; true when the list changed. */
  add(activity: Activity): boolean {
    if (activity.action !== 'conflict' || activity.otherPath === undefined) return false;
    // The copy's name is unique (host and time in it), so it identifies the conflict.
    const conflict: Conflict = { id: activity.otherPath, at: activity.at, path: activity.path, copyPath: activity.otherPath };
    this.byId.set(conflict.id, conflict);
    return true;
  }

  /** Takes the conflicted copies among these drive paths (the local tree), so conflicts outlive a restart. */
  addFromTree(paths: Iterable<string>): void {
    for (const copyPath of paths) {
      const parsed = parseConflictedCopyName(copyPath);
      if (parsed && !this.byId.has(copyPath)) this.byId.set(copyPath, { id: copyPath, at: parsed.at, path: parsed.path, copyPath });
    }
  }

  get(id: string): Conflict | undefined {
    return this.open().find((conflict) => conflict.id === id);
  }

  /** The unresolved ones, newest first. */
  open(): Conflict[] {
    for (const [id, conflict] of this.byId) {
      if (!existsSync(this.localPath(conflict.copyPath))) this.byId.delete(id);
    }
    return [...this.byId.values()].sort((a, b) => b.at - a.at);
  }
}
