import type { Entry } from '../../protocol/api.js';
import type { RemoteNode } from '../model.js';

/** The engine's view of a service entry: `name` is derivable from `path`, so it is dropped. */
export function toRemoteNode(entry: Entry): RemoteNode {
  return {
    id: entry.id,
    path: entry.path,
    kind: entry.kind,
    size: entry.size,
    contentHash: entry.contentHash,
    rev: entry.rev,
    mtime: entry.mtime,
  };
}
