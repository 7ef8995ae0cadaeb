import { parseArgs } from 'node:util';
import { passwordSchema, usernameSchema } from '../../protocol/api.js';
import { allMigrations } from '../app.js';
import { PasswordHasher } from '../auth/passwords.js';
import { RefreshTokenStore } from '../auth/refreshTokens.js';
import { loadConfig } from '../config.js';
import { isApiError } from '../errors.js';
import { openMetadata, type Metadata } from '../metadata.js';

export const USERS_USAGE = `usage: netdisk-server users <command> [--data ./netdisk-data]
  add <username>             create a password account (password: first line of stdin)
  list                       one account per line: username, status, created, id
  disable <username>         refuse its sign-ins and sign out all its devices
  enable <username>          allow sign-in again
  reset-password <username>  set a new password (first line of stdin); signs out all its devices
`;

export interface CommandIo {
  /** Everything piped to stdin (read only by commands that take a password). */
  readStdin(): Promise<string>;
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

const COMMANDS = new Set(['add', 'list', 'disable', 'enable', 'reset-password']);

class UsageError extends Error {}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

async function readPassword(io: CommandIo): Promise<string> {
  const checked = passwordSchema.safeParse(firstLine(await io.readStdin()));
  if (!checked.success) throw new UsageError('the password (first line of stdin) must be 8 to 1024 characters');
  return checked.data;
}

/**
 * `netdisk-server users …`: the operator's way to manage accounts, the only
 * one when NETDISK_REGISTRATION=closed. Works on the database directly (the data folder's SQLite, or NETDISK_DATABASE_URL); a
 * running service sees a disable or password reset within LIVE_SESSION_CACHE_MS.
 * Passwords come from stdin, never from arguments (which `ps` shows to anyone).
 * Returns the exit code.
 */
export async function runUsersCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let metadata: Metadata | undefined;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { data: { type: 'string' } }, allowPositionals: true, strict: true });
    const [command, name, ...extra] = positionals;
    if (command === undefined || extra.length > 0) throw new UsageError('');
    if (!COMMANDS.has(command)) throw new UsageError(`unknown command "${command}"`);
    const config = loadConfig(values.data === undefined ? [] : ['--data', values.data], io.env);
    metadata = await openMetadata(config, allMigrations(), Date.now);
    const { users } = metadata;
    const sessions = new RefreshTokenStore(metadata.refreshTokens, Date.now, config.refreshTtlSeconds * 1000);
    const passwords = new PasswordHasher(config.scrypt);

    if (command === 'list') {
      if (name !== undefined) throw new UsageError('list takes no username');
      for (const { user, disabled } of await users.list()) {
        io.out(`${user.username}\t${disabled ? 'disabled' : 'active'}\t${new Date(user.createdAt).toISOString()}\t${user.id}\n`);
      }
      return 0;
    }
    if (name === undefined) throw new UsageError(`${command} needs a username`);
    if (command === 'add') {
      const username = usernameSchema.safeParse(name);
      if (!username.success) throw new UsageError(username.error.issues[0]?.message ?? 'invalid username');
      const user = await users.createWithPassword(username.data, await passwords.hash(await readPassword(io)));
      io.out(`added ${user.username} (${user.id})\n`);
      return 0;
    }
    const account = await users.findByUsername(name);
    if (!account) throw new UsageError(`no account named "${name}"`);
    const { user } = account;
    switch (command) {
      case 'disable':
        await users.setDisabled(user.id, true);
        await sessions.revokeAllOf(user.id);
        io.out(`disabled ${user.username}; its devices are signed out\n`);
        return 0;
      case 'enable':
        await users.setDisabled(user.id, false);
        io.out(`enabled ${user.username}\n`);
        return 0;
      case 'reset-password':
        await users.updatePasswordHash(user.id, await passwords.hash(await readPassword(io)));
        await sessions.revokeAllOf(user.id);
        io.out(`new password set for ${user.username}; its devices are signed out\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const known = error instanceof UsageError || isApiError(error) || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if (!known) throw error;
    if ((error as Error).message) io.err(`netdisk-server users: ${(error as Error).message}\n`);
    io.err(USERS_USAGE);
    return 2;
  } finally {
    await metadata?.close();
  }
}
