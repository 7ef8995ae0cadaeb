import { SyncError, isSyncError } from '../errors.js';
import type { EngineEvents } from './engineEvents.js';

/** Failures the user has to act on (free space, check a disk): reported as issues, which the desktop app notifies. */
const DISK_ISSUES: ReadonlySet<string> = new Set(['disk_full', 'io_error', 'service_full']);

/**
 * Failures that last until space is freed here or at the service: more rounds
 * now cannot help, and no file event will say when it is over, so the
 * scheduler looks again after a long pause (about `backoff.maxMs`) instead.
 */
const LASTING_CODES: ReadonlySet<string> = new Set(['disk_full', 'service_full']);

export function isLastingFailure(code: string): boolean {
  return LASTING_CODES.has(code);
}

/**
 * What the engine makes of an error thrown by a part of a round: a SyncError
 * with a stable code (anything unexpected is `internal`), and what it tells
 * beyond the failure itself: the engine's state (offline, signed out, a
 * missing folder) and, for a disk that is full or failing, one issue rather
 * than one per file.
 */
export function classifyError(error: unknown, events: EngineEvents): SyncError {
  const e = isSyncError(error) ? error : new SyncError('internal', error instanceof Error ? error.message : String(error), { cause: error });
  if (e.code === 'network') events.setState('offline');
  else if (e.code === 'signed_out') events.setState('signed_out');
  else if (e.code === 'sync_root_missing') {
    events.setState('error', e.message);
    events.report({ code: e.code, message: e.message });
  } else if (DISK_ISSUES.has(e.code)) {
    // A disk (here or the service's) is full or failing: one visible issue, not one per file; rounds retry later.
    events.report({ code: e.code, message: e.message });
  }
  return e;
}
