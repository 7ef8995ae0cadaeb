import { text } from 'node:stream/consumers';
import { runUsersCommand } from './admin/usersCommand.js';
import { allMigrations, buildApp } from './app.js';
import { describeFlags, helpRequested } from '../protocol/cliFlags.js';
import { ConfigError, loadConfig, SERVER_FLAGS } from './config.js';
import { migrateMetadata } from './metadata.js';

/** `netdisk-server --help`: the flags from the table `loadConfig` parses. */
const USAGE = `usage: netdisk-server [options]
       netdisk-server migrate [--data DIR]
       netdisk-server users add|list|disable|enable|reset-password USERNAME [--data DIR]

Runs the netdisk service. Flags win over the NETDISK_* environment (the README lists every variable).
Metadata lives in SQLite in the data folder, or in PostgreSQL when NETDISK_DATABASE_URL=postgres://… is set
(environment only: the URL may hold a password). The service applies pending schema migrations at start;
\`migrate\` applies them and exits (e.g. once before starting several nodes).
\`users\` manages accounts in the database (passwords are read from stdin), e.g. with NETDISK_REGISTRATION=closed.

${describeFlags(SERVER_FLAGS)}
`;

/**
 * `netdisk-server`: launches the app factory and shuts down gracefully on
 * SIGTERM/SIGINT; `netdisk-server users …` manages accounts instead.
 */
export async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'users') {
    process.exitCode = await runUsersCommand(argv.slice(1), {
      readStdin: () => text(process.stdin),
      out: (line) => process.stdout.write(line),
      err: (line) => process.stderr.write(line),
      env: process.env,
    });
    return;
  }
  if (argv[0] === 'migrate' && !helpRequested(argv)) {
    process.exitCode = await runMigrate(argv.slice(1));
    return;
  }
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
  let app;
  try {
    app = await buildApp(config);
  } catch (error) {
    // A start-time check (the S3 bucket, its credentials) failed: one clear line, no stack.
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`netdisk-server: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
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

/** `netdisk-server migrate`: applies the pending schema steps to the configured database, prints their ids, exits. */
async function runMigrate(argv: readonly string[]): Promise<number> {
  let config;
  try {
    config = loadConfig(argv);
  } catch (error) {
    if (!(error instanceof ConfigError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))) throw error;
    process.stderr.write(`netdisk-server migrate: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const applied = await migrateMetadata(config, allMigrations());
  const where = config.databaseUrl ? 'PostgreSQL (NETDISK_DATABASE_URL)' : config.dataDir;
  process.stdout.write(applied.length === 0
    ? `netdisk-server migrate: ${where} is up to date\n`
    : `netdisk-server migrate: applied ${applied.length} step(s) to ${where}:\n${applied.map((id) => `  ${id}\n`).join('')}`);
  return 0;
}
