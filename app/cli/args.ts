import { parseArgs } from 'node:util';
import { resolveStateDir } from '../clientAccount.js';

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

export type CliCommand = { command: 'sync'; args: CliArgs } | AccountArgs;

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: netdisk-sync --server URL --folder DIR [options]

  --server URL          the netdisk service, e.g. http://127.0.0.1:8080
  --folder DIR          the local folder to keep in sync
  --state DIR           where sync state lives (default: DIR/.netdisk-sync)
  --once                sync until both sides agree, then exit (0 = in sync)
  --json                print events as JSON lines instead of a progress bar
  --username NAME       sign in with a password (asked for, or NETDISK_PASSWORD)
  --password PASS       the password (prefer NETDISK_PASSWORD: argv is visible to others)
  --upload-limit KBPS   upload bandwidth cap in KB/s (0 = none)
  --download-limit KBPS download bandwidth cap in KB/s (0 = none)
  --concurrency N       files transferred at once (default 4)
  --full-scan-minutes N while watching, walk the whole folder this often for changes the
                        watcher missed (default 60; 0 = never)
  --ui 127.0.0.1:PORT   serve the UI to a browser there (prints the address with its access token);
                        no sign-in needed beforehand: the UI asks

       netdisk-sync login --server URL (--folder DIR | --state DIR) [--provider P] [--username NAME] [--no-browser]
       netdisk-sync whoami --server URL (--folder DIR | --state DIR) [--json]
       netdisk-sync logout --server URL (--folder DIR | --state DIR)

  --provider P          qq, oidc:<name> (sign in in the browser) or password (default)
  --no-browser          print the sign-in address instead of opening a browser

Exit codes: 0 done (in sync), 1 not in sync yet, 2 usage, 3 not signed in, 4 failed.
`;

const ACCOUNT_COMMANDS = new Set(['login', 'logout', 'whoami']);

function kbps(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} takes a number of KB/s, got "${value}"`);
  return Math.round(n * 1000);
}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        server: { type: 'string' },
        folder: { type: 'string' },
        state: { type: 'string' },
        once: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        username: { type: 'string' },
        password: { type: 'string' },
        'upload-limit': { type: 'string' },
        'download-limit': { type: 'string' },
        concurrency: { type: 'string' },
        'full-scan-minutes': { type: 'string' },
        ui: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
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

/** `login`, `logout` and `whoami` as their first word; anything else is the sync command. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined || !ACCOUNT_COMMANDS.has(first)) return { command: 'sync', args: parseCliArgs(argv, env) };
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        server: { type: 'string' },
        folder: { type: 'string' },
        state: { type: 'string' },
        provider: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        'no-browser': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const server = serverUrl(values.server, env);
  if (!values.folder && !values.state) throw new UsageError(`${first} needs --folder or --state: the account is remembered per sync folder`);
  const provider = signInProvider(values.provider);
  if (first === 'login' && provider === 'password' && !values.username) {
    throw new UsageError('login with a password needs --username (or choose --provider qq or oidc:<name>)');
  }
  return {
    command: first as AccountArgs['command'],
    server,
    stateDir: resolveStateDir(values.folder ?? '.', values.state),
    provider,
    username: values.username,
    password: values.password ?? env.NETDISK_PASSWORD,
    launchBrowser: !values['no-browser'],
    json: values.json ?? false,
  };
}
