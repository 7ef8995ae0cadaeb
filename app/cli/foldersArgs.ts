import { parseArgs } from 'node:util';
import { HELP_FLAG, type CliFlags } from '../../protocol/cliFlags.js';
import { resolveStateDir } from '../clientAccount.js';
import { drivePathOf } from './shareArgs.js';

/** `netdisk-sync folders`: selective sync, which remote folders this computer keeps. */
export interface FoldersArgs {
  command: 'folders';
  stateDir: string;
  action:
    | { kind: 'list'; path: string }
    | { kind: 'include' | 'exclude'; path: string }
    | { kind: 'new-folders'; sync: boolean };
  json: boolean;
}

/** What `netdisk-sync folders` parses and what its --help lists. */
export const FOLDERS_FLAGS = {
  folder: { type: 'string', value: 'DIR', description: 'the sync folder (its state is in DIR/.netdisk-sync)' },
  state: { type: 'string', value: 'DIR', description: 'the state folder instead, when it lives elsewhere' },
  json: { type: 'boolean', default: false, description: 'list: print the folders as JSON' },
  ...HELP_FLAG,
} as const satisfies CliFlags;

export const FOLDERS_COMMAND = {
  synopsis: 'folders (list [PATH] | include PATH | exclude PATH | new-folders yes|no) (--folder DIR | --state DIR) [--json]',
  summary: 'choose which remote folders this computer keeps (selective sync)',
};

const ACTIONS = ['list', 'include', 'exclude', 'new-folders'] as const;

export function parseFoldersArgs(argv: readonly string[], fail: (message: string) => Error): FoldersArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: FOLDERS_FLAGS, strict: true });
  } catch (error) {
    throw fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (!values.folder && !values.state) throw fail('folders needs --folder or --state: the choices are kept per sync folder');
  const [action, operand, ...extra] = positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) throw fail(`folders takes one of: ${ACTIONS.join(', ')}`);
  if (extra.length > 0) throw fail(`folders ${action} takes one argument`);
  const base = { command: 'folders' as const, stateDir: resolveStateDir(values.folder ?? '.', values.state), json: values.json ?? false };
  if (action === 'new-folders') {
    if (operand !== 'yes' && operand !== 'no') throw fail(`folders new-folders takes yes or no, got "${operand ?? ''}"`);
    return { ...base, action: { kind: 'new-folders', sync: operand === 'yes' } };
  }
  if (action === 'list') return { ...base, action: { kind: 'list', path: operand === undefined ? '/' : pathOf(operand, values.folder, fail) } };
  if (operand === undefined) throw fail(`folders ${action} takes a PATH`);
  return { ...base, action: { kind: action as 'include' | 'exclude', path: pathOf(operand, values.folder, fail) } };
}

/** A path inside the sync folder or a drive path, as `share` takes it; the root too (include and exclude refuse it with their own words). */
function pathOf(path: string, folder: string | undefined, fail: (message: string) => Error): string {
  return path === '/' ? '/' : drivePathOf(path, folder, fail, 'folders');
}
