import { createInterface } from 'node:readline/promises';
import { isSyncError } from '../errors.js';
import { SyncClient } from '../syncClient.js';
import { parseCliArgs, USAGE, UsageError, type CliArgs } from './args.js';
import { jsonReporter, terminalReporter, type Reporter } from './reporter.js';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, incomplete: 1, usage: 2, signedOut: 3, fatal: 4 } as const;

async function askPassword(username: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(`no password for ${username}: set NETDISK_PASSWORD or pass --password`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void };
  const original = output._writeToOutput.bind(rl);
  // Echo the prompt, not the typed characters.
  output._writeToOutput = (s: string) => {
    if (s.startsWith('Password')) original(s);
  };
  try {
    return await rl.question(`Password for ${username}: `);
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

async function signIn(client: SyncClient, args: CliArgs, reporter: Reporter): Promise<void> {
  if (args.username) {
    await client.login(args.username, args.password ?? await askPassword(args.username));
    reporter.say(`signed in as ${args.username}`);
    return;
  }
  if (!(await client.resume())) throw new UsageError('not signed in: pass --username (the password comes from NETDISK_PASSWORD or a prompt)');
}

/** `netdisk-sync`: the engine, headless. Resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv, process.env);
  } catch (error) {
    process.stderr.write(`netdisk-sync: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const reporter = args.json ? jsonReporter(process.stdout) : terminalReporter(process.stderr);
  let client: SyncClient | undefined;
  const stop = () => {
    reporter.say('stopping; the next start resumes where this one stopped');
    void client?.engine.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    client = await SyncClient.open({
      server: args.server,
      folder: args.folder,
      ...(args.stateDir ? { stateDir: args.stateDir } : {}),
      warn: (message) => reporter.say(`warning: ${message}`),
      engine: {
        uploadLimit: args.uploadLimit,
        downloadLimit: args.downloadLimit,
        ...(args.concurrency ? { fileConcurrency: args.concurrency } : {}),
      },
    });
    await signIn(client, args, reporter);
    client.engine.on((event) => reporter.event(event));
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
    if (error instanceof UsageError) {
      process.stderr.write(`netdisk-sync: ${error.message}\n`);
      return EXIT.usage;
    }
    if (isSyncError(error)) {
      process.stderr.write(`netdisk-sync: ${error.message} (${error.code})\n`);
      return error.code === 'signed_out' ? EXIT.signedOut : EXIT.fatal;
    }
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await client?.close();
  }
}
