import { parseArgs } from 'node:util';

export interface CliArgs {
  server: string;
  folder: string;
  stateDir: string | undefined;
  once: boolean;
  json: boolean;
  username: string | undefined;
  password: string | undefined;
  uploadLimit: number;
  downloadLimit: number;
  concurrency: number | undefined;
}

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
`;

function kbps(name: string, value: string | undefined): number {
  if (value === undefined) return 0;
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
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const server = values.server ?? env.NETDISK_SERVER;
  if (!server) throw new UsageError('--server is required');
  if (!/^https?:\/\//.test(server)) throw new UsageError(`--server must be an http(s) URL, got "${server}"`);
  if (!values.folder) throw new UsageError('--folder is required');
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)) {
    throw new UsageError(`--concurrency takes a whole number from 1 to 64, got "${values.concurrency}"`);
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
  };
}
