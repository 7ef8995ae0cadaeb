import type { RefusedRemoteEntry } from '../model.js';

/** Longest path an issue repeats: an over-long hostile path must not flood the UI or a log. */
const SHOWN_PATH_CHARS = 300;

/**
 * What the user is told about an item of a service answer the client
 * refuses. The path is shown as sent, with control characters and lone
 * surrogates escaped and very long paths cut, so the issue itself is safe to
 * print anywhere.
 */
export function refusedEntry(item: unknown, reason: string): RefusedRemoteEntry {
  return { path: printablePath(claimedPath(item)), reason };
}

/** The path an item claims: a change's `path` (or its entry's), an entry's `path`. */
function claimedPath(item: unknown): unknown {
  if (typeof item !== 'object' || item === null) return undefined;
  const { path, entry } = item as { path?: unknown; entry?: unknown };
  if (path !== undefined) return path;
  return typeof entry === 'object' && entry !== null ? (entry as { path?: unknown }).path : undefined;
}

export function printablePath(path: unknown): string {
  if (typeof path !== 'string') return `(no path: ${path === null ? 'null' : typeof path})`;
  const escaped = path.replace(/[\u0000-\u001f\u007f-\u009f]|\p{Cs}/gu,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > SHOWN_PATH_CHARS ? `${escaped.slice(0, SHOWN_PATH_CHARS)}… (${path.length} characters)` : escaped;
}
