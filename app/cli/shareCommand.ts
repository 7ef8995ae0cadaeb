import type { Share } from '../../protocol/shares.js';
import type { RemoteShares } from '../remote/remoteShares.js';
import type { ShareArgs } from './shareArgs.js';
import { withSignedInRemote, type CommandIo } from './signedInRemote.js';

function when(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString();
}

function describe(share: Share): string {
  const limit = share.maxDownloads === null ? '' : `/${share.maxDownloads}`;
  return [share.id, share.state, share.path ?? `(deleted) ${share.name}`, `code ${share.code ?? '-'}`, `downloads ${share.downloads}${limit}`, `expires ${when(share.expiresAt)}`].join('\t');
}

async function act(shares: RemoteShares, args: ShareArgs, io: CommandIo): Promise<void> {
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
export function runShareCommand(args: ShareArgs, io: CommandIo): Promise<number> {
  return withSignedInRemote(args, io, (remote) => act(remote, args, io));
}
