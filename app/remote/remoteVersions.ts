import type { FileVersions, RestoreVersionRequest } from '../../protocol/versions.js';
import type { RemoteNode } from '../model.js';

/**
 * The version history of the signed-in user's files at the service. Separate
 * from the engine's `RemoteStore`: syncing never restores a version; the CLI
 * and the UI do, and the engine then downloads the restored content through
 * the change feed like any remote edit.
 */
export interface RemoteVersions {
  /** `path`'s versions, newest first (the current content first). */
  listVersions(path: string, signal?: AbortSignal): Promise<FileVersions>;
  /** Makes a version the file's content again; answers the file as it now is. */
  restoreVersion(request: RestoreVersionRequest, signal?: AbortSignal): Promise<RemoteNode>;
}
