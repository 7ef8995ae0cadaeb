import { ROOT, isSameOrBelow } from '../../protocol/paths.js';

/**
 * SQL bounds for "strictly below `path`": with byte-wise (BINARY) collation,
 * exactly the strings starting with `path + '/'` lie in [path + '/', path + '0'),
 * because '0' follows '/' in ASCII. This keeps subtree queries on the primary
 * key index, with no LIKE escaping of '%' or '_' in names.
 */
export function belowBounds(path: string): { lo: string; hi: string } {
  return path === ROOT ? { lo: '/', hi: '0' } : { lo: `${path}/`, hi: `${path}0` };
}

/** SQLite's substr() counts characters (code points), not UTF-16 units. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** True when moving `from` to `to` would put a folder inside itself or onto an ancestor. */
export function isNestedMove(from: string, to: string): boolean {
  return isSameOrBelow(to, from) || isSameOrBelow(from, to);
}
