import { ROOT, parentOf } from '../../../protocol/paths.js';
import type { StateStore } from '../../db/stateStore.js';
import { isSyncError } from '../../errors.js';
import type { RefusedRemoteEntry, RemoteNode } from '../../model.js';
import type { RemoteStore } from '../../remote/remoteStore.js';

const PAGE_SIZE = 1000;

export interface RemotePull {
  /** The cursor had expired: the whole remote tree was listed again. */
  relisted: boolean;
  /** The paths whose remote entry the feed changed (both ends of a move); its echoes of this client's own changes are not. */
  paths: Set<string>;
  /** Entries refused on the way, for the engine to report. */
  refused: RefusedRemoteEntry[];
}

/**
 * Brings the remote tree up to date from the change feed. Each page is
 * applied together with its cursor in one transaction, so a crash never
 * leaves the cursor ahead of what the tree reflects. A cursor the service no
 * longer serves triggers a full listing.
 *
 * The service is untrusted input: what it sends that the client refuses (a
 * path the protocol forbids, an entry without its parent folder, a listed
 * entry outside the folder listed) is left out of the tree and returned, so
 * the engine can tell the user; the rest of the sync goes on.
 */
export class RemoteObserver {
  constructor(private readonly remote: RemoteStore, private readonly state: StateStore) {}

  /** What the pull touched: the paths the feed named, or `relisted` when the whole tree was replaced. */
  async pull(signal: AbortSignal): Promise<RemotePull> {
    let cursor = this.state.remoteCursor() ?? 0;
    const touched: RemotePull = { relisted: false, paths: new Set(), refused: [] };
    for (;;) {
      let page;
      try {
        page = await this.remote.changes(cursor, { limit: PAGE_SIZE, signal });
      } catch (error) {
        if (isSyncError(error) && error.detail.serviceCode === 'cursor_expired') {
          cursor = await this.relist(touched.refused, signal);
          touched.relisted = true;
          continue;
        }
        throw error;
      }
      const applied = this.state.applyRemoteChanges(page.changes, page.cursor);
      touched.refused.push(...page.refused, ...applied.refused);
      for (const path of applied.paths) touched.paths.add(path);
      cursor = page.cursor;
      if (!page.hasMore) return touched;
    }
  }

  /** Waits (long poll) until the service has changes after the stored cursor; false on timeout. */
  async waitForChanges(waitSeconds: number, signal: AbortSignal): Promise<boolean> {
    const page = await this.remote.changes(this.state.remoteCursor() ?? 0, { limit: 1, waitSeconds, signal });
    return page.changes.length > 0 || page.refused.length > 0;
  }

  /** Full listing, walked breadth-first; the cursor is taken first so no later change is missed. */
  private async relist(refused: RefusedRemoteEntry[], signal: AbortSignal): Promise<number> {
    const cursor = await this.remote.latestCursor(signal);
    const nodes: RemoteNode[] = [];
    const ids = new Set<string>();
    const folders = [ROOT];
    while (folders.length > 0) {
      const folder = folders.shift()!;
      const listing = await this.remote.list(folder, signal);
      refused.push(...listing.refused);
      for (const node of listing.nodes) {
        if (parentOf(node.path) !== folder) {
          refused.push({ path: node.path, reason: `listed in ${folder}, which does not hold it` });
        } else if (ids.has(node.id)) {
          refused.push({ path: node.path, reason: 'its id is already another listed entry\'s' });
        } else {
          ids.add(node.id);
          nodes.push(node);
          if (node.kind === 'folder') folders.push(node.path);
        }
      }
    }
    this.state.replaceRemoteTree(nodes, cursor);
    return cursor;
  }
}
