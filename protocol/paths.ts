/**
 * Drive paths: absolute, POSIX, NFC-normalized. One implementation, used by the
 * service to refuse hostile input and by the client to map local names.
 */

export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4096;
export const ROOT = '/';

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

// C0 controls, DEL and C1 controls: never valid in a name on any platform we sync with.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

// A high surrogate not followed by a low one, or a low one not preceded by a high one:
// such a name is not Unicode text (it cannot be encoded as UTF-8, so no file system holds it).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * UTF-8 size, counted without encoding (protocol/ also runs in the browser
 * renderer, so no Buffer; and allocating an encoded copy of every name cost
 * more than all the other checks together on a 100,000-file tree). A lone
 * surrogate counts 3 bytes, as TextEncoder would encode it (U+FFFD).
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Printable ASCII is its own NFC form: skip the normalization most names never need. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Validates and NFC-normalizes a drive path. The root is `/`; no trailing slash otherwise. */
export function checkPath(input: unknown): PathCheck {
  if (typeof input !== 'string') return { ok: false, reason: 'path must be a string' };
  if (!input.startsWith('/')) return { ok: false, reason: 'path must be absolute (start with "/")' };
  if (CONTROL_CHARS.test(input)) return { ok: false, reason: 'path contains NUL or control characters' };
  if (LONE_SURROGATE.test(input)) return { ok: false, reason: 'path contains a lone UTF-16 surrogate (not valid Unicode text)' };
  const path = PRINTABLE_ASCII.test(input) ? input : input.normalize('NFC');
  if (path === ROOT) return { ok: true, path };
  if (utf8Length(path) > MAX_PATH_BYTES) {
    return { ok: false, reason: `path is longer than ${MAX_PATH_BYTES} bytes` };
  }
  for (const name of path.slice(1).split('/')) {
    if (name === '') return { ok: false, reason: 'path has an empty segment or a trailing slash' };
    if (name === '.' || name === '..') return { ok: false, reason: 'path contains "." or ".." segments' };
    if (utf8Length(name) > MAX_NAME_BYTES) {
      return { ok: false, reason: `a name is longer than ${MAX_NAME_BYTES} bytes` };
    }
  }
  return { ok: true, path };
}

/** Like `checkPath` but the root is refused: for operations on an entry, not a folder listing. */
export function checkEntryPath(input: unknown): PathCheck {
  const checked = checkPath(input);
  if (checked.ok && checked.path === ROOT) return { ok: false, reason: 'the root cannot be changed' };
  return checked;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? ROOT : path.slice(0, i);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(parent: string, name: string): string {
  return parent === ROOT ? `/${name}` : `${parent}/${name}`;
}

/** True when `path` is `ancestor` itself or lies below it. */
export function isSameOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === ROOT) return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}
