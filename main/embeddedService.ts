import { createServer } from 'node:net';

/** A started service process: Electron's UtilityProcess and Node's ChildProcess both fit. */
export interface ServiceProcess {
  kill(): boolean;
  once(event: 'exit', listener: (code: number | null) => void): unknown;
}

/** Starts a Node script with arguments in its own process. */
export type ForkScript = (scriptPath: string, args: string[]) => ServiceProcess;

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
}

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
  const child = options.fork(options.scriptPath, ['--host', '127.0.0.1', '--port', String(port), '--data', options.dataDir, '--log-level', 'warn']);
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
    if (await healthy(url)) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new EmbeddedServiceError(`the local netdisk service did not answer at ${url}`);
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  throw new EmbeddedServiceError(`the local netdisk service exited (code ${exitCode}) before it answered`);
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}
