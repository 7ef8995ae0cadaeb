import { parseArgs } from 'node:util';
import { describeFlags, HELP_FLAG, helpRequested, type CliFlags } from '../../protocol/cliFlags.js';
import { kilobytesToBytes } from '../../protocol/units.js';
import { resolveStateDir } from '../clientAccount.js';
import { FOLDERS_COMMAND, FOLDERS_FLAGS, parseFoldersArgs, type FoldersArgs } from './foldersArgs.js';
import { parseShareArgs, SHARE_COMMAND, SHARE_FLAGS, type ShareArgs } from './shareArgs.js';
import { isVersionCommand, parseVersionArgs, VERSION_COMMANDS, type VersionArgs } from './versionArgs.js';

export interface CliArgs {
  server: string;
  folder: string;
  stateDir: string | undefined;
  once: boolean;
  json: boolean;
  username: string | undefined;
  password: string | undefined;
  /** Bytes per second; undefined: the saved setting (or none). */
  uploadLimit: number | undefined;
  downloadLimit: number | undefined;
  concurrency: number | undefined;
  /** --full-scan-minutes: the watching engine's safety walk of the whole folder; 0 = never. */
  fullScanMinutes: number | undefined;
  /** `--ui 127.0.0.1:PORT`: serve the UI in a browser there (port 0: the OS picks). */
  ui: { port: number } | undefined;
}

/** `password`, `qq` or `oidc:<name>` (a provider the service has configured). */
export type SignInProvider = 'password' | 'qq' | `oidc:${string}`;

export interface AccountArgs {
  command: 'login' | 'logout' | 'whoami';
  server: string;
  /** Where the account is remembered: `--state`, or the state folder of `--folder`. */
  stateDir: string;
  provider: SignInProvider;
  username: string | undefined;
  password: string | undefined;
  /** False with --no-browser: only print the address to open. */
  launchBrowser: boolean;
  json: boolean;
}

/** `help`: --help or -h was given; `usage` is the text for that command. */
export type CliCommand = { command: 'sync'; args: CliArgs } | AccountArgs | ShareArgs | FoldersArgs | VersionArgs | { command: 'help'; usage: string };

export class UsageError extends Error {
  override name = 'UsageError';
}

const SERVER_FLAG = {
  server: { type: 'string', value: 'URL', description: 'the netdisk service, e.g. http://127.0.0.1:8080 (or NETDISK_SERVER)' },
} as const satisfies CliFlags;

const USERNAME_FLAGS = {
  username: { type: 'string', value: 'NAME', description: 'sign in with a password (asked for, or NETDISK_PASSWORD)' },
  password: { type: 'string', value: 'PASS', description: 'the password (prefer NETDISK_PASSWORD: argv is visible to others)' },
} as const satisfies CliFlags;

/** The sync command's flags: what it parses and what --help lists. */
export const SYNC_FLAGS = {
  ...SERVER_FLAG,
  folder: { type: 'string', value: 'DIR', description: 'the local folder to keep in sync' },
  state: { type: 'string', value: 'DIR', description: 'where sync state lives (default: DIR/.netdisk-sync)' },
  once: { type: 'boolean', default: false, description: 'sync until both sides agree, then exit (0 = in sync)' },
  json: { type: 'boolean', default: false, description: 'print events as JSON lines instead of a progress bar' },
  ...USERNAME_FLAGS,
  'upload-limit': { type: 'string', value: 'KBPS', description: 'upload bandwidth cap in kB/s, 1 kB = 1000 bytes (0 = none)' },
  'download-limit': { type: 'string', value: 'KBPS', description: 'download bandwidth cap in kB/s, 1 kB = 1000 bytes (0 = none)' },
  concurrency: { type: 'string', value: 'N', description: 'files transferred at once, 1-64 (default 4)' },
  'full-scan-minutes': {
    type: 'string', value: 'N',
    description: 'while watching, walk the whole folder this often for changes the\nwatcher missed (default 60; 0 = never)',
  },
  ui: {
    type: 'string', value: '127.0.0.1:PORT',
    description: 'serve the UI to a browser there (prints the address with its access token);\nno sign-in needed beforehand: the UI asks',
  },
  ...HELP_FLAG,
} as const satisfies CliFlags;

/** The flags `login`, `whoami` and `logout` take. */
export const ACCOUNT_FLAGS = {
  ...SERVER_FLAG,
  folder: { type: 'string', value: 'DIR', description: 'the sync folder; its account is remembered in DIR/.netdisk-sync' },
  state: { type: 'string', value: 'DIR', description: 'the state folder instead, when it lives elsewhere' },
  provider: { type: 'string', value: 'P', description: 'login: qq, oidc:<name> (sign in in the browser) or password (default)' },
  ...USERNAME_FLAGS,
  'no-browser': { type: 'boolean', default: false, description: 'login: print the sign-in address instead of opening a browser' },
  json: { type: 'boolean', default: false, description: 'whoami: print the user as JSON' },
  ...HELP_FLAG,
} as const satisfies CliFlags;

export const ACCOUNT_COMMANDS: Record<AccountArgs['command'], { synopsis: string; summary: string }> = {
  login: {
    synopsis: 'login --server URL (--folder DIR | --state DIR) [--provider P] [--username NAME] [--no-browser]',
    summary: 'sign in and remember the account for the folder',
  },
  whoami: { synopsis: 'whoami --server URL (--folder DIR | --state DIR) [--json]', summary: 'print the signed-in user' },
  logout: { synopsis: 'logout --server URL (--folder DIR | --state DIR)', summary: 'revoke the sign-in and forget the stored token' },
};

function isAccountCommand(word: string | undefined): word is AccountArgs['command'] {
  return word !== undefined && Object.hasOwn(ACCOUNT_COMMANDS, word);
}

const FOLDERS_ACTIONS = `  list [PATH]          the folders in PATH (default: the top level) with their sizes and whether they are kept
  exclude PATH         stop keeping PATH here: local edits inside are uploaded first, then the
                       local copy goes to the trash; nothing is deleted on the service
  include PATH         keep PATH here again (the next sync downloads it)
  new-folders yes|no   whether new top-level folders on the service are synced here
PATH is a folder inside the sync folder or a drive path such as /photos.`;

const EXIT_CODES = 'Exit codes: 0 done (in sync), 1 not in sync yet, 2 usage, 3 not signed in, 4 failed, 5 a full or failing disk.\n';

/** `netdisk-sync --help`, or `netdisk-sync COMMAND --help` for an account command: generated from the tables above. */
export function usage(command: 'sync' | 'share' | 'folders' | AccountArgs['command'] | VersionArgs['command'] = 'sync'): string {
  if (command === 'share') {
    return `usage: netdisk-sync ${SHARE_COMMAND.synopsis}\n\n${SHARE_COMMAND.summary}\n\n${describeFlags(SHARE_FLAGS)}\n\n${EXIT_CODES}`;
  }
  if (command === 'folders') {
    return `usage: netdisk-sync ${FOLDERS_COMMAND.synopsis}\n\n${FOLDERS_COMMAND.summary}\n\n${FOLDERS_ACTIONS}\n\n${describeFlags(FOLDERS_FLAGS)}\n\n${EXIT_CODES}`;
  }
  if (isVersionCommand(command)) {
    const { synopsis, summary, flags } = VERSION_COMMANDS[command];
    return `usage: netdisk-sync ${synopsis}\n\n${summary}\n\n${describeFlags(flags)}\n\n${EXIT_CODES}`;
  }
  if (command !== 'sync') {
    return `usage: netdisk-sync ${ACCOUNT_COMMANDS[command].synopsis}\n\n${ACCOUNT_COMMANDS[command].summary}\n\n${describeFlags(ACCOUNT_FLAGS)}\n\n${EXIT_CODES}`;
  }
  const listed = { ...ACCOUNT_COMMANDS, share: SHARE_COMMAND, folders: FOLDERS_COMMAND, ...VERSION_COMMANDS };
  const names = Object.keys(listed);
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const commands = Object.entries(listed).map(([name, { summary }]) => `  ${name.padEnd(width)}${summary}`).join('\n');
  return `usage: netdisk-sync --server URL --folder DIR [options]
       netdisk-sync ${names.join('|')} [options]

Keeps DIR and the netdisk at URL in two-way sync.

${describeFlags(SYNC_FLAGS)}

Commands (netdisk-sync COMMAND --help lists their options):
${commands}

${EXIT_CODES}`;
}

/** The usage of the command `argv` names: an account command's, or the sync command's. */
export function usageFor(argv: readonly string[]): string {
  const [first] = argv;
  if (first === 'share' || first === 'folders' || isVersionCommand(first)) return usage(first);
  return usage(isAccountCommand(first) ? first : 'sync');
}

function kbps(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} takes a number of kB/s, got "${value}"`);
  return kilobytesToBytes(n);
}

/** node:util parseArgs over one of the tables above; its errors become usage errors. */
function parseFlags<const F extends CliFlags>(argv: readonly string[], flags: F) {
  try {
    return parseArgs({ args: [...argv], options: flags, strict: true }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliArgs {
  const values = parseFlags(argv, SYNC_FLAGS);
  const server = serverUrl(values.server, env);
  if (!values.folder) throw new UsageError('--folder is required');
  const ui = values.ui === undefined ? undefined : uiAddress(values.ui);
  if (ui && values.once) throw new UsageError('--ui and --once do not go together: the UI runs until stopped');
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)) {
    throw new UsageError(`--concurrency takes a whole number from 1 to 64, got "${values.concurrency}"`);
  }
  const fullScanMinutes = values['full-scan-minutes'] === undefined ? undefined : Number(values['full-scan-minutes']);
  if (fullScanMinutes !== undefined && !(Number.isFinite(fullScanMinutes) && fullScanMinutes >= 0)) {
    throw new UsageError(`--full-scan-minutes takes a number of minutes, 0 or more, got "${values['full-scan-minutes']}"`);
  }
  return {
    server,
    folder: values.folder,
    stateDir: values.state,
    once: values.once ?? false,
    json: values.json ?? false,
    username: values.username,
    password: values.password ?? env.NETDISK_PASSWORD,
    uploadLimit: kbps('upload-limit', values['upload-limit']),
    downloadLimit: kbps('download-limit', values['download-limit']),
    concurrency,
    fullScanMinutes,
    ui,
  };
}

/** Only the loopback literal: the UI must not be reachable from other machines. */
function uiAddress(value: string): { port: number } {
  const match = /^127\.0\.0\.1:(\d{1,5})$/.exec(value);
  const port = match ? Number(match[1]) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--ui takes 127.0.0.1:PORT (port 0 lets the system pick), got "${value}"`);
  return { port };
}

function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const server = flag ?? env.NETDISK_SERVER;
  if (!server) throw new UsageError('--server is required');
  if (!/^https?:\/\//.test(server)) throw new UsageError(`--server must be an http(s) URL, got "${server}"`);
  return server;
}

function signInProvider(value: string | undefined): SignInProvider {
  if (value === undefined || value === 'password' || value === 'qq') return value ?? 'password';
  if (/^oidc:[A-Za-z0-9_-]+$/.test(value)) return value as `oidc:${string}`;
  throw new UsageError(`--provider takes qq, oidc:<name> or password, got "${value}"`);
}

/** `login`, `logout`, `whoami`, `share`, `folders`, `versions` and `restore` as their first word; anything else is the sync command. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  if (helpRequested(argv)) return { command: 'help', usage: usageFor(argv) };
  const [first, ...rest] = argv;
  if (first === 'share') return parseShareArgs(rest, (flag) => serverUrl(flag, env), (message) => new UsageError(message));
  if (first === 'folders') return parseFoldersArgs(rest, (message) => new UsageError(message));
  if (isVersionCommand(first)) return parseVersionArgs(first, rest, (flag) => serverUrl(flag, env), (message) => new UsageError(message));
  if (!isAccountCommand(first)) return { command: 'sync', args: parseCliArgs(argv, env) };
  const values = parseFlags(rest, ACCOUNT_FLAGS);
  const server = serverUrl(values.server, env);
  if (!values.folder && !values.state) throw new UsageError(`${first} needs --folder or --state: the account is remembered per sync folder`);
  const provider = signInProvider(values.provider);
  if (first === 'login' && provider === 'password' && !values.username) {
    throw new UsageError('login with a password needs --username (or choose --provider qq or oidc:<name>)');
  }
  return {
    command: first,
    server,
    stateDir: resolveStateDir(values.folder ?? '.', values.state),
    provider,
    username: values.username,
    password: values.password ?? env.NETDISK_PASSWORD,
    launchBrowser: !values['no-browser'],
    json: values.json ?? false,
  };
}
