import type { FolderChoice } from '../../protocol/folders.js';
import { formatBytes } from '../../protocol/units.js';
import { openStateStore } from '../clientAccount.js';
import { FolderChoices } from '../engine/folderChoices.js';
import { EXIT } from './exitCodes.js';
import type { FoldersArgs } from './foldersArgs.js';

export interface FoldersIo {
  /** Results a script may read. */
  out: NodeJS.WritableStream;
  say: (message: string) => void;
}

const STATE_WORDS: Record<FolderChoice['state'], string> = {
  kept: 'kept',
  partial: 'partly kept',
  excluding: 'excluding (uploading local edits, then removing the local copy)',
  excluded: 'not kept',
};

function describe(folder: FolderChoice): string {
  return [folder.path, formatBytes(folder.size), `${folder.files} files`, STATE_WORDS[folder.state]].join('\t');
}

/**
 * `netdisk-sync folders`: reads and changes the folder choices in the sync
 * folder's state database, without the network. A running `netdisk-sync` on
 * the same folder acts on a change at its next round; the next run at its start.
 */
export async function runFoldersCommand(args: FoldersArgs, io: FoldersIo): Promise<number> {
  const state = openStateStore(args.stateDir);
  try {
    const choices = new FolderChoices(state);
    switch (args.action.kind) {
      case 'list': {
        const listing = choices.list(args.action.path);
        if (args.json) io.out.write(`${JSON.stringify(listing)}\n`);
        else {
          if (listing.folders.length > 0) io.out.write(`${listing.folders.map(describe).join('\n')}\n`);
          else io.say(state.remoteCursor() === null ? 'no folders known yet: sync once first' : 'no folders here');
          io.say(`new top-level folders: ${listing.syncNewFolders ? 'synced' : 'not synced'}`);
        }
        return EXIT.ok;
      }
      case 'exclude':
        choices.exclude(args.action.path);
        io.say(`${args.action.path} will not be kept on this computer: local edits inside are uploaded first, then the local copy goes to the trash (nothing is deleted on the service)`);
        return EXIT.ok;
      case 'include':
        choices.include(args.action.path);
        io.say(`${args.action.path} is kept on this computer: the next sync downloads it`);
        return EXIT.ok;
      case 'new-folders':
        choices.setSyncNewFolders(args.action.sync);
        io.say(args.action.sync ? 'new top-level folders on the service will be synced here' : 'new top-level folders on the service will not be synced here');
        return EXIT.ok;
    }
  } finally {
    state.close();
  }
}
