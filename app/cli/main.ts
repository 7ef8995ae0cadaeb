import { resolveStateDir } from '../clientAccount.js';
import { isSyncError, SyncError } from '../errors.js';
import { SyncClient } from '../syncClient.js';
import { readStoredSettings } from '../ui/settingsFile.js';
import { runAccountCommand } from './accountCommands.js';
import { parseCommand, usageFor, UsageError, type AccountArgs, type CliArgs, type CliCommand } from './args.js';
import { EXIT } from './exitCodes.js';
import { askPassword } from './passwordPrompt.js';
import { jsonReporter, terminalReporter, type Reporter } from './reporter.js';
import { serveUi, type SyncLocation } from './uiCommand.js';
import { runFoldersCommand } from './foldersCommand.js';
import { runShareCommand } from './shareCommand.js';
import { runVersionCommand } from './versionCommand.js';

/** Sign-in failures leave the folder signed out: scripts see them as "not signed in". */
const SIGNED_OUT_CODES: ReadonlySet<string> = new Set(['signed_out', 'sign_in_failed', 'sign_in_timeout']);
/** The state's or the folder's disk is full or failing: nothing is lost, the next run after the fix goes on. */
const DISK_CODES: ReadonlySet<string> = new Set(['disk_full', 'io_error']);

async function signIn(client: SyncClient, args: CliArgs, reporter: Reporter): Promise<void> {
  if (args.username) {
    await client.login(args.username, args.password ?? await askPassword(args.username));
    reporter.say(`signed in as ${args.username}`);
    return;
  }
  if (!(await client.resume())) {
    throw new SyncError('signed_out', 'not signed in: run `netdisk-sync login` first, or pass --username (the password comes from NETDISK_PASSWORD or a prompt)');
  }
}

/** The exit code for a failure that ended a command; anything unexpected is rethrown. */
function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`netdisk-sync: ${error.message}\n`);
    return EXIT.usage;
  }
  if (isSyncError(error)) {
    process.stderr.write(`netdisk-sync: ${error.message} (${error.code})\n`);
    if (SIGNED_OUT_CODES.has(error.code)) return EXIT.signedOut;
    return DISK_CODES.has(error.code) ? EXIT.disk : EXIT.fatal;
  }
  throw error;
}

async function accountCommand(args: AccountArgs): Promise<number> {
  const cancel = new AbortController();
  const stop = () => cancel.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runAccountCommand(args, {
      out: process.stdout,
      say: (message) => process.stderr.write(`${message}\n`),
      signal: cancel.signal,
    });
  } catch (error) {
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** A client on `location`; its state follows the folder unless --state was given. Flags win over what was saved from the UI for it. */
async function openClient(args: CliArgs, location: SyncLocation, reporter: Reporter): Promise<SyncClient> {
  const saved = readStoredSettings(resolveStateDir(location.folder, args.stateDir));
  const client = await SyncClient.open({
    server: location.server,
    folder: location.folder,
    ...(args.stateDir ? { stateDir: args.stateDir } : {}),
    warn: (message) => reporter.say(`warning: ${message}`),
    engine: {
      uploadLimit: args.uploadLimit ?? saved.uploadLimit,
      downloadLimit: args.downloadLimit ?? saved.downloadLimit,
      fileConcurrency: args.concurrency ?? saved.concurrency,
      ...(args.fullScanMinutes === undefined ? {} : { watch: { fullScanIntervalMs: args.fullScanMinutes * 60_000 } }),
    },
  });
  client.engine.on((event) => reporter.event(event));
  return client;
}

async function syncCommand(args: CliArgs): Promise<number> {
  const reporter = args.json ? jsonReporter(process.stdout) : terminalReporter(process.stderr);
  let client: SyncClient | undefined;
  let stopped!: () => void;
  const stopping = new Promise<void>((resolve) => { stopped = resolve; });
  const stop = () => {
    reporter.say('stopping; the next start resumes where this one stopped');
    stopped();
    void client?.engine.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    client = await openClient(args, { folder: args.folder, server: args.server }, reporter);
    // With --ui and no --username the page signs in when no earlier sign-in can be resumed.
    if (args.ui && !args.username) await client.resume();
    else await signIn(client, args, reporter);
    if (args.ui) {
      // serveUi owns the client from here: the page may replace it with one on another folder or service.
      const initial = client;
      client = undefined;
      await serveUi(initial, { ...args, ui: args.ui }, reporter, stopping, async (location) => {
        const next = await openClient(args, location, reporter);
        await next.resume();
        return next;
      });
      return EXIT.ok;
    }
    if (!args.once) {
      await client.engine.run();
      return EXIT.ok;
    }
    const summary = await client.engine.syncOnce();
    reporter.done();
    for (const failure of summary.failures) reporter.say(`failed: ${failure.path}: ${failure.message} (${failure.code})`);
    if (summary.heldDeletes > 0) reporter.say(`${summary.heldDeletes} deletions are waiting for confirmation; nothing was deleted`);
    const ok = summary.converged && summary.failures.length === 0 && summary.heldDeletes === 0;
    reporter.say(ok ? 'in sync' : `not in sync after ${summary.rounds} rounds`);
    return ok ? EXIT.ok : EXIT.incomplete;
  } catch (error) {
    reporter.done();
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await client?.close();
  }
}

/** `netdisk-sync`: the engine headless, and the account commands. Resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCommand(argv, process.env);
  } catch (error) {
    process.stderr.write(`netdisk-sync: ${(error as Error).message}\n\n${usageFor(argv)}`);
    return EXIT.usage;
  }
  if (command.command === 'help') {
    process.stdout.write(command.usage);
    return EXIT.ok;
  }
  if (command.command === 'sync') return syncCommand(command.args);
  const io = { out: process.stdout, say: (message: string) => process.stderr.write(`${message}\n`) };
  if (command.command === 'share') return runShareCommand(command, io).catch(exitCodeFor);
  if (command.command === 'folders') return runFoldersCommand(command, io).catch(exitCodeFor);
  if ('versionId' in command) return runVersionCommand(command, io).catch(exitCodeFor);
  return accountCommand(command);
}
