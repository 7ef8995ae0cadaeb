import type { User } from '../../protocol/api.js';
import { ClientAccount, openStateStore } from '../clientAccount.js';
import type { AccountArgs } from './args.js';
import { EXIT } from './exitCodes.js';
import { askPassword } from './passwordPrompt.js';
import { openInSystemBrowser } from './systemBrowser.js';

export interface AccountIo {
  /** Results a script may read (whoami). */
  out: NodeJS.WritableStream;
  /** Messages for the person at the terminal. */
  say: (message: string) => void;
  /** Cancels a sign-in waiting for the browser (Ctrl-C). */
  signal: AbortSignal;
}

function describeUser(user: User): string {
  return user.displayName && user.displayName !== user.username ? `${user.displayName} (${user.username})` : user.username;
}

async function login(account: ClientAccount, args: AccountArgs, io: AccountIo): Promise<User> {
  if (args.provider === 'password') {
    // parseCommand guarantees the username for a password sign-in.
    const username = args.username!;
    return account.login(username, args.password ?? await askPassword(username));
  }
  return account.signInWithBrowser({
    provider: args.provider,
    openBrowser: (url) => openInSystemBrowser(url, { launch: args.launchBrowser, say: io.say }),
    signal: io.signal,
  });
}

/**
 * `netdisk-sync login | logout | whoami`: the account of one state folder,
 * without starting the engine. Resolves to the process exit code; failures
 * leave as errors for the caller to map.
 */
export async function runAccountCommand(args: AccountArgs, io: AccountIo): Promise<number> {
  const state = openStateStore(args.stateDir);
  try {
    const account = await ClientAccount.open({ server: args.server, state, stateDir: args.stateDir, warn: (message) => io.say(`warning: ${message}`) });
    switch (args.command) {
      case 'login': {
        const user = await login(account, args, io);
        io.say(`signed in as ${describeUser(user)}`);
        return EXIT.ok;
      }
      case 'whoami': {
        const user = await account.whoami();
        if (user === null) {
          io.say('not signed in');
          return EXIT.signedOut;
        }
        io.out.write(args.json ? `${JSON.stringify(user)}\n` : `${describeUser(user)}\n`);
        return EXIT.ok;
      }
      case 'logout':
        io.say(await account.logout() ? 'signed out' : 'not signed in');
        return EXIT.ok;
    }
  } finally {
    state.close();
  }
}
