import { parseArgs } from 'node:util';
import { HELP_FLAG, type CliFlags } from '../../protocol/cliFlags.js';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { MAX_SHARE_TTL_SECONDS, shareCodeSchema, shareIdSchema } from '../../protocol/shares.js';
import { checkEntryPath } from '../../protocol/paths.js';
import { resolveStateDir } from '../clientAccount.js';

/** `netdisk-sync share`: create a link, list them, or revoke one. */
export interface ShareArgs {
  command: 'share';
  server: string;
  stateDir: string;
  action:
    | { kind: 'create'; path: string; code: string | null | undefined; expiresInSeconds: number | undefined; maxDownloads: number | undefined }
    | { kind: 'list' }
    | { kind: 'revoke'; id: string };
  json: boolean;
}

/** What `netdisk-sync share` parses and what its --help lists. */
export const SHARE_FLAGS = {
  server: { type: 'string', value: 'URL', description: 'the netdisk service, e.g. http://127.0.0.1:8080 (or NETDISK_SERVER)' },
  folder: { type: 'string', value: 'DIR', description: 'the sync folder; its account is remembered in DIR/.netdisk-sync' },
  state: { type: 'string', value: 'DIR', description: 'the state folder instead, when it lives elsewhere' },
  code: { type: 'string', value: 'XXXX', description: 'the extraction code (4 letters or digits); default: a generated one' },
  'no-code': { type: 'boolean', default: false, description: 'a link that opens without a code' },
  expires: { type: 'string', value: 'D', description: 'the link expires after D (e.g. 7d, 12h, 30m); default: never' },
  'max-downloads': { type: 'string', value: 'N', description: 'the link stops after N downloads' },
  list: { type: 'boolean', default: false, description: "list this account's share links" },
  revoke: { type: 'string', value: 'ID', description: 'revoke the link with this id' },
  json: { type: 'boolean', default: false, description: 'print JSON' },
  ...HELP_FLAG,
} as const satisfies CliFlags;

export const SHARE_COMMAND = {
  synopsis: 'share (PATH | --list | --revoke ID) --server URL (--folder DIR | --state DIR) [--code XXXX | --no-code] [--expires 7d] [--max-downloads N] [--json]',
  summary: 'create a share link for PATH (a file or folder in the sync folder, or a drive path), list links, or revoke one',
};

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `7d`, `12h`, `30m` or `90s`. */
export function parseDuration(value: string, fail: (message: string) => Error): number {
  const match = /^(\d{1,9})([smhd])$/.exec(value);
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : NaN;
  if (!(seconds > 0 && seconds <= MAX_SHARE_TTL_SECONDS)) throw fail(`--expires takes a duration such as 7d, 12h or 30m (at most 365d), got "${value}"`);
  return seconds;
}

/**
 * The drive path of PATH: a path inside the sync folder (relative, or
 * absolute on this disk) maps to its place in the drive; otherwise an
 * absolute PATH is taken as a drive path ("/docs/a.txt").
 */
export function drivePathOf(path: string, folder: string | undefined, fail: (message: string) => Error, command = 'share'): string {
  let candidate = path;
  if (folder !== undefined) {
    const inside = relative(resolve(folder), resolve(path));
    if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) candidate = `/${inside.split(sep).join('/')}`;
  }
  const checked = checkEntryPath(candidate);
  if (!checked.ok) throw fail(`${command} takes a path inside the sync folder or a drive path such as /docs/a.txt, got "${path}": ${checked.reason}`);
  return checked.path;
}

export function parseShareArgs(
  argv: readonly string[],
  server: (flag: string | undefined) => string,
  fail: (message: string) => Error,
): ShareArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: SHARE_FLAGS,
      strict: true,
    });
  } catch (error) {
    throw fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (!values.folder && !values.state) throw fail('share needs --folder or --state: the account is remembered per sync folder');
  const base = { command: 'share' as const, server: server(values.server), stateDir: resolveStateDir(values.folder ?? '.', values.state), json: values.json ?? false };
  const modes = [values.list, values.revoke !== undefined, positionals.length > 0].filter(Boolean).length;
  if (modes !== 1) throw fail('share takes one of: PATH, --list, --revoke ID');
  if (values.list) return { ...base, action: { kind: 'list' } };
  if (values.revoke !== undefined) {
    if (!shareIdSchema.safeParse(values.revoke).success) throw fail(`--revoke takes a link id (22 characters), got "${values.revoke}"`);
    return { ...base, action: { kind: 'revoke', id: values.revoke } };
  }
  if (positionals.length > 1) throw fail('share takes one PATH');
  if (values.code !== undefined && values['no-code']) throw fail('--code and --no-code do not go together');
  if (values.code !== undefined && !shareCodeSchema.safeParse(values.code).success) throw fail(`--code takes 4 letters or digits, got "${values.code}"`);
  const maxDownloads = values['max-downloads'] === undefined ? undefined : Number(values['max-downloads']);
  if (maxDownloads !== undefined && !(Number.isInteger(maxDownloads) && maxDownloads >= 1 && maxDownloads <= 1_000_000)) {
    throw fail(`--max-downloads takes a whole number from 1 to 1000000, got "${values['max-downloads']}"`);
  }
  return {
    ...base,
    action: {
      kind: 'create',
      path: drivePathOf(positionals[0]!, values.folder, fail),
      code: values['no-code'] ? null : values.code,
      expiresInSeconds: values.expires === undefined ? undefined : parseDuration(values.expires, fail),
      maxDownloads,
    },
  };
}
