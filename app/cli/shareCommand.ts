import type { Share } from '../../protocol/shares.js';
import { ClientAccount, openStateStore } from '../clientAccount.js';
import { SyncError } from '../errors.js';
import { HttpRemoteStore } from '../remote/httpRemoteStore.js';
import type { RemoteShares } from '../remote/remoteShares.js';
import { EXIT } from './exitCodes.js';
import type { ShareArgs } from './shareArgs.js';

export interface ShareIo {
  /** Results a script may read. */
  out: NodeJS.WritableStream;
  say: (message: string) => void;
}

function when(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString();
}

function describe(share: Share): string {
  const limit = share.maxDownloads === null ? '' : `/${share.maxDownloads}`;
  return [share.id, share.state, share.path ?? `(deleted) ${share.name}`, `code ${share.code ?? '-'}`, `downloads ${share.downloads}${limit}`, `expires ${when(share.expiresAt)}`].join('\t');
}

async function act(shares: RemoteShares, args: ShareArgs, io: ShareIo): Promise<void> {
  const print = (text: string, value: unknown) => io.out.write(args.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
  switch (args.action.kind) {
    case 'create': {
      const { path, code, expiresInSeconds, maxDownloads } = args.action;
      const share = await shares.createShare({
        path,
        ...(code === undefined ? {} : { code }),
        ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
        ...(maxDownloads === undefined ? {} : { maxDownloads }),
      });
      print(`${share.url}\n${share.code === null ? 'no extraction code' : `extraction code: ${share.code}`}\nexpires: ${when(share.expiresAt)}`, share);
      return;
    }
    case 'list': {
      const list = await shares.listShares();
      print(list.map(describe).join('\n') || 'no share links', list);
      return;
    }
    case 'revoke': {
      const share = await shares.revokeShare(args.action.id);
      print(`revoked ${share.url}`, share);
    }
  }
}

/** `netdisk-sync share`: the signed-in account's share links. Failures leave as errors for the caller to map. */
export async function runShareCommand(args: ShareArgs, io: ShareIo): Promise<number> {
  const state = openStateStore(args.stateDir);
  try {
    const account = await ClientAccount.open({ server: args.server, state, stateDir: args.stateDir, warn: (message) => io.say(`warning: ${message}`) });
    if (!(await account.resume())) throw new SyncError('signed_out', 'not signed in: run `netdisk-sync login` first');
    await act(new HttpRemoteStore(account.api, account.session), args, io);
    return EXIT.ok;
  } finally {
    state.close();
  }
}
