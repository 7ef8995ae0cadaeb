import { ClientAccount, openStateStore } from '../clientAccount.js';
import { SyncError } from '../errors.js';
import { HttpRemoteStore } from '../remote/httpRemoteStore.js';
import { EXIT } from './exitCodes.js';

/** What a one-shot account command prints to. */
export interface CommandIo {
  /** Results a script may read. */
  out: NodeJS.WritableStream;
  say: (message: string) => void;
}

/**
 * Runs `work` with the service as the sync folder's stored sign-in reaches it
 * (`share`, `versions`, `restore`): `signed_out` when there is none. Failures
 * leave as errors for the caller to map to an exit code.
 */
export async function withSignedInRemote(
  where: { server: string; stateDir: string }, io: CommandIo, work: (remote: HttpRemoteStore) => Promise<void>,
): Promise<number> {
  const state = openStateStore(where.stateDir);
  try {
    const account = await ClientAccount.open({ server: where.server, state, stateDir: where.stateDir, warn: (message) => io.say(`warning: ${message}`) });
    if (!(await account.resume())) throw new SyncError('signed_out', 'not signed in: run `netdisk-sync login` first');
    await work(new HttpRemoteStore(account.api, account.session));
    return EXIT.ok;
  } finally {
    state.close();
  }
}
