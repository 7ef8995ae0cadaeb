import { createServer } from 'node:net';

/** A started service process: Electron's UtilityProcess and Node's ChildProcess both fit. */
export interface ServiceProcess {
  kill(): boolean;
  once(event: 'exit', listener: (code: number | null) => void): unknown;
}

/** Starts a Node script with arguments (and extra environment) in its own process. */
export type ForkScript = (scriptPath: string, args: string[], env?: Record<string, string>) => ServiceProcess;

export interface EmbeddedService {
  url: string;
  /** Stops the service (SIGTERM: it finishes in-flight requests) and waits for the process to end. */
  stop(): Promise<void>;
}

export interface EmbeddedServiceOptions {
  fork: ForkScript;
  /** bin/netdisk-server.js. */
  scriptPath: string;
  /** The service's data folder (accounts, files) in the app's user data. */
  dataDir: string;
  /** How long to wait for the health check before giving up. */
  startTimeoutMs?: number;
  /**
   * The QQ stand-in's runner (dist/test/qqStandin/main.js), when it is there
   * (a development checkout, not a packaged app): started first, and the
   * service's QQ sign-in pointed at it, so the QQ button works offline.
   */
  qqStandinScript?: string;
}

/** The stand-in's app credentials: local and public by design, they guard nothing. */
const STANDIN_APP = { id: '101000001', key: 'local-standin-app-key' };

export class EmbeddedServiceError extends Error {
  readonly code = 'embedded_service_failed';
}

/** A free loopback port: the service needs a fixed one, so ask the OS for one first. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new EmbeddedServiceError('could not pick a loopback port');
  return address.port;
}

/**
 * The local netdisk service the app syncs with when no server is configured:
 * `netdisk-server` in its own process (main may not import server/, and the
 * service's SQLite stays out of the UI process), on 127.0.0.1 only.
 */
export async function startEmbeddedService(options: EmbeddedServiceOptions): Promise<EmbeddedService> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const helpers: Started[] = [];
  let env: Record<string, string> | undefined;
  if (options.qqStandinScript) {
    const qqUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
    helpers.push(await startAndWait(options, options.qqStandinScript, [
      '--port', new URL(qqUrl).port, '--app-id', STANDIN_APP.id, '--app-key', STANDIN_APP.key,
      '--redirect-uri', `${url}/api/v1/auth/oauth/qq/callback`,
    ], undefined, `${qqUrl}/oauth2.0/me`, 'the QQ stand-in'));
    env = { NETDISK_QQ_APP_ID: STANDIN_APP.id, NETDISK_QQ_APP_KEY: STANDIN_APP.key, NETDISK_QQ_BASE_URL: qqUrl };
  }
  try {
    const service = await startAndWait(options, options.scriptPath,
      ['--host', '127.0.0.1', '--port', String(port), '--data', options.dataDir, '--log-level', 'warn'], env, `${url}/api/v1/health`, 'the local netdisk service');
    helpers.push(service);
  } catch (error) {
    await Promise.all(helpers.map((helper) => helper.stop()));
    throw error;
  }
  return { url, stop: async () => { await Promise.all(helpers.reverse().map((helper) => helper.stop())); } };
}

interface Started {
  stop(): Promise<void>;
}

/** Forks `script` and waits until `probeUrl` answers at all (any HTTP status), or the process dies, or time runs out. */
async function startAndWait(options: EmbeddedServiceOptions, script: string, args: string[], env: Record<string, string> | undefined, probeUrl: string, what: string): Promise<Started> {
  const child = options.fork(script, args, env);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => {
    exitCode = code;
    resolve();
  }));
  const stop = async () => {
    if (exitCode === undefined) child.kill();
    await exited;
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (exitCode === undefined) {
    if (await answers(probeUrl)) return { stop };
    if (Date.now() > deadline) {
      await stop();
      throw new EmbeddedServiceError(`${what} did not answer at ${new URL(probeUrl).origin}`);
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  throw new EmbeddedServiceError(`${what} exited (code ${exitCode}) before it answered`);
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: 'manual' });
    return true;
  } catch {
    return false;
  }
}
