import { ROOT } from '../../protocol/paths.js';
import type { StateStore } from '../db/stateStore.js';
import { isSyncError } from '../errors.js';
import type { RemoteNode } from '../model.js';
import type { RemoteStore } from '../remote/remoteStore.js';

const PAGE_SIZE = 1000;

/**
 * Brings the remote tree up to date from the change feed. Each page is
 * applied together with its cursor in one transaction, so a crash never
 * leaves the cursor ahead of what the tree reflects. A cursor the service no
 * longer serves triggers a full listing.
 */
export class RemoteObserver {
  constructor(private readonly remote: RemoteStore, private readonly state: StateStore) {}

  async pull(signal: AbortSignal): Promise<void> {
    let cursor = this.state.remoteCursor() ?? 0;
    for (;;) {
      let page;
      try {
        page = await this.remote.changes(cursor, { limit: PAGE_SIZE, signal });
      } catch (error) {
        if (isSyncError(error) && error.detail.serviceCode === 'cursor_expired') {
          cursor = await this.relist(signal);
          continue;
        }
        throw error;
      }
      this.state.applyRemoteChanges(page.changes, page.cursor);
      cursor = page.cursor;
      if (!page.hasMore) return;
    }
  }

  /** Waits (long poll) until the service has changes after the stored cursor; false on timeout. */
  async waitForChanges(waitSeconds: number, signal: AbortSignal): Promise<boolean> {
    const page = await this.remote.changes(this.state.remoteCursor() ?? 0, { limit: 1, waitSeconds, signal });
    return page.changes.length > 0;
  }

  /** Full listing, walked breadth-first; the cursor is taken first so no later change is missed. */
  private async relist(signal: AbortSignal): Promise<number> {
    const cursor = await this.remote.latestCursor(signal);
    const nodes: RemoteNode[] = [];
    const folders = [ROOT];
    while (folders.length > 0) {
      const folder = folders.shift()!;
      for (const node of await this.remote.list(folder, signal)) {
        nodes.push(node);
        if (node.kind === 'folder') folders.push(node.path);
      }
    }
    this.state.replaceRemoteTree(nodes, cursor);
    return cursor;
  }
}
