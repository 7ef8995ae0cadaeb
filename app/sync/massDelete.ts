import type { SyncOp } from './ops.js';

export interface MassDeleteLimit {
  /** More file deletes than this may be a mass delete... */
  minFiles: number;
  /** ...if they are also more than this share of the tree. */
  maxShare: number;
}

export const DEFAULT_MASS_DELETE_LIMIT: MassDeleteLimit = { minFiles: 50, maxShare: 0.25 };

/**
 * True when the plan deletes so many files (on either side) that the engine
 * should ask the user first: an unmounted disk or a wiped folder looks like
 * "the user deleted everything" to a planner.
 */
export function isMassDelete(ops: readonly SyncOp[], treeSize: number, limit: MassDeleteLimit = DEFAULT_MASS_DELETE_LIMIT): boolean {
  let files = 0;
  for (const op of ops) {
    if ((op.type === 'deleteLocal' && op.expectLocal.kind === 'file') || (op.type === 'deleteRemote' && op.kind === 'file')) files++;
  }
  return files > limit.minFiles && files > treeSize * limit.maxShare;
}
