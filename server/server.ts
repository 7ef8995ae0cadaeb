import { buildApp } from './app.js';
import { describeFlags, helpRequested } from '../protocol/cliFlags.js';
import { ConfigError, loadConfig, SERVER_FLAGS } from './config.js';

/** `netdisk-server --help`: the flags from the table `loadConfig` parses. */
const USAGE = `usage: netdisk-server [options]

Runs the netdisk service. Flags win over the NETDISK_* environment (the README lists every variable).

${describeFlags(SERVER_FLAGS)}
`;

/** `netdisk-server`: launches the app factory and shuts down gracefully on SIGTERM/SIGINT. */
export async function main(argv: readonly string[]): Promise<void> {
  if (helpRequested(argv)) {
    process.stdout.write(USAGE);
    return;
  }
  let config;
  try {
    config = loadConfig(argv);
  } catch (error) {
    if (error instanceof ConfigError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`netdisk-server: ${(error as Error).message}\n`);
      process.stderr.write(`\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const app = await buildApp(config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    app.close().then(() => process.exit(0), (error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ host: config.host, port: config.port });
  app.log.info({ dataDir: config.dataDir }, `netdisk-server listening on ${config.publicUrl}`);
}
