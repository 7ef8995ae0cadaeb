import type { CreateShareRequest, Share } from '../../protocol/shares.js';

/**
 * The signed-in user's share links at the service. Separate from the
 * engine's `RemoteStore`: syncing never shares, the CLI and the UI do.
 */
export interface RemoteShares {
  createShare(request: CreateShareRequest, signal?: AbortSignal): Promise<Share>;
  /** Newest first, revoked and expired ones included (with their state). */
  listShares(signal?: AbortSignal): Promise<Share[]>;
  revokeShare(id: string, signal?: AbortSignal): Promise<Share>;
}
