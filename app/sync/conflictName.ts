import { MAX_NAME_BYTES, joinPath, nameOf, parentOf } from '../../protocol/paths.js';

// Characters a drive name may not hold (protocol/paths), replaced in the host part.
const UNSAFE_IN_NAME = /[/\u0000-\u001f\u007f-\u009f]/g;

/** What every conflicted copy's name holds: a cheap first filter before parseConflictedCopyName. */
export const CONFLICTED_COPY_MARK = ' (conflicted copy ';

/**
 * The name a local version gets when it loses a conflict:
 * `name (conflicted copy <host> <yyyy-mm-dd hhmmss>).ext`, the time in UTC so
 * every machine derives the same name from the same clock value. The
 * extension is what follows the LAST dot, unless that dot starts the name
 * (`.bashrc` has none) or ends it: `a.tar.gz` -> `a.tar (conflicted copy …).gz`.
 * `attempt` > 1 adds a counter for when that name is taken. A name that would
 * exceed the drive's limit is shortened in its stem.
 */
export function conflictedCopyName(path: string, host: string, date: Date, attempt = 1): string {
  const name = nameOf(path);
  const dot = name.lastIndexOf('.');
  const split = dot > 0 && dot < name.length - 1;
  const stem = split ? name.slice(0, dot) : name;
  const ext = split ? name.slice(dot) : '';
  const counter = attempt > 1 ? ` ${attempt}` : '';
  const label = `${CONFLICTED_COPY_MARK}${host.replace(UNSAFE_IN_NAME, '-')} ${utcStamp(date)}${counter})`;
  return joinPath(parentOf(path), `${fitStem(stem, label + ext)}${label}${ext}`);
}

const CONFLICTED_COPY = /^(.*) \(conflicted copy .+ (\d{4})-(\d{2})-(\d{2}) (\d{2})(\d{2})(\d{2})(?: \d+)?\)(\.[^.]+)?$/s;

/**
 * Reads a name `conflictedCopyName` made back: the path the conflict was about
 * and when it happened; null for any other name. Lets the conflicts still
 * waiting for the user be found in the folder after a restart.
 */
export function parseConflictedCopyName(path: string): { path: string; at: number } | null {
  const match = CONFLICTED_COPY.exec(nameOf(path));
  if (!match) return null;
  const [, stem, year, month, day, hours, minutes, seconds, ext] = match;
  const at = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hours), Number(minutes), Number(seconds));
  return { path: joinPath(parentOf(path), `${stem}${ext ?? ''}`), at };
}

function utcStamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())} `
    + `${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`;
}

function fitStem(stem: string, rest: string): string {
  const room = MAX_NAME_BYTES - Buffer.byteLength(rest, 'utf8');
  let fitted = '';
  for (const char of stem) {
    if (Buffer.byteLength(fitted + char, 'utf8') > room) break;
    fitted += char;
  }
  return fitted;
}
