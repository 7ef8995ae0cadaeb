import { parseArgs } from 'node:util';
import { HELP_FLAG, type CliFlags } from '../../protocol/cliFlags.js';
import { versionIdSchema } from '../../protocol/versions.js';
import { resolveStateDir } from '../clientAccount.js';
import { drivePathOf, SHARE_FLAGS } from './shareArgs.js';

/** `netdisk-sync versions PATH` lists a file's versions; `netdisk-sync restore PATH --version V` restores one. */
export interface VersionArgs {
  command: 'versions' | 'restore';
  server: string;
  stateDir: string;
  /** The drive path of the file. */
  path: string;
  /** For `restore`: the version id to restore. */
  versionId: string | undefined;
  json: boolean;
}

/** Where the account is, as for `share`. */
const ACCOUNT_LOCATION = { server: SHARE_FLAGS.server, folder: SHARE_FLAGS.folder, state: SHARE_FLAGS.state } as const;

/** What `netdisk-sync versions` parses and what its --help lists. */
export const VERSIONS_FLAGS = {
  ...ACCOUNT_LOCATION,
  json: { type: 'boolean', default: false, description: 'print the versions as JSON' },
  ...HELP_FLAG,
} as const satisfies CliFlags;

/** What `netdisk-sync restore` parses and what its --help lists. */
export const RESTORE_FLAGS = {
  ...ACCOUNT_LOCATION,
  version: { type: 'string', value: 'V', description: 'the version id to restore, as `netdisk-sync versions PATH` lists it' },
  json: { type: 'boolean', default: false, description: 'print the restored file as JSON' },
  ...HELP_FLAG,
} as const satisfies CliFlags;

export const VERSION_COMMANDS = {
  versions: {
    synopsis: 'versions PATH --server URL (--folder DIR | --state DIR) [--json]',
    summary: "list a file's versions: time, size, the device that wrote it, and the version id",
    flags: VERSIONS_FLAGS,
  },
  restore: {
    synopsis: 'restore PATH --version V --server URL (--folder DIR | --state DIR) [--json]',
    summary: 'make version V the content of PATH again (the sync then downloads it like any remote edit)',
    flags: RESTORE_FLAGS,
  },
} as const;

export function isVersionCommand(word: string | undefined): word is VersionArgs['command'] {
  return word === 'versions' || word === 'restore';
}

export function parseVersionArgs(
  command: VersionArgs['command'],
  argv: readonly string[],
  server: (flag: string | undefined) => string,
  fail: (message: string) => Error,
): VersionArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: VERSION_COMMANDS[command].flags, strict: true });
  } catch (error) {
    throw fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  // Only `restore` has --version; its strict table refuses it elsewhere.
  const version = (values as { version?: string }).version;
  if (!values.folder && !values.state) throw fail(`${command} needs --folder or --state: the account is remembered per sync folder`);
  if (positionals.length !== 1) throw fail(`${command} takes one PATH`);
  if (command === 'restore') {
    if (version === undefined) throw fail('restore needs --version V (see `netdisk-sync versions PATH`)');
    if (!versionIdSchema.safeParse(version).success) throw fail(`--version takes a version id (32 hex digits), got "${version}"`);
  }
  return {
    command,
    server: server(values.server),
    stateDir: resolveStateDir(values.folder ?? '.', values.state),
    path: drivePathOf(positionals[0]!, values.folder, fail, command),
    versionId: version,
    json: values.json ?? false,
  };
}
