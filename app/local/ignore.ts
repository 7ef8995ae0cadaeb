import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { ROOT } from '../../protocol/paths.js';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';
import { nodeLocalFs, type LocalFs } from './localFs.js';

/** The user's ignore file at the sync root, in gitignore syntax. */
export const IGNORE_FILE_NAME = '.netdiskignore';
/** Where the engine may keep its own state inside the sync root; never synced. */
export const STATE_DIR_NAME = '.netdisk-sync';
/** Suffix of a download still in progress; the downloader writes here, then renames. */
export const PARTIAL_DOWNLOAD_SUFFIX = '.netdisk-partial';
/** Prefix of the short-lived file that probes whether the root's file system folds case. */
export const CASE_PROBE_PREFIX = '.netdisk-case-probe-';

// Editors' and browsers' temp, lock and swap files, OS metadata, and our own files.
const BUILT_IN_RULES = [
  '*.tmp', '~$*', '.~lock.*#', '*.swp', '*.swx', '.*.sw?', '4913', '*.part', '*.crdownload',
  '.DS_Store', 'Thumbs.db', 'desktop.ini',
  `/${STATE_DIR_NAME}/`, `*${PARTIAL_DOWNLOAD_SUFFIX}`, `/${CASE_PROBE_PREFIX}*`,
];

/**
 * Which drive paths the engine leaves alone: the built-in rules, which a user
 * cannot negate, plus the root's .netdiskignore. Built-ins match any case
 * (Windows writes `Thumbs.db`, tools `thumbs.db`); user rules are
 * case-sensitive, as git treats them on Linux.
 */
export class IgnoreRules {
  private builtIn = builtInRules();
  private user: Ignore = ignore({ ignorecase: false });
  private userText = '';
  /** Lookups since the matchers were last made (see CACHE_LOOKUPS). */
  private lookups = 0;

  constructor(private readonly root: string, private readonly fs: LocalFs = nodeLocalFs) {}

  /** (Re)reads .netdiskignore; true when the rules differ from the ones in force. */
  async load(): Promise<boolean> {
    const file = join(this.root, IGNORE_FILE_NAME);
    let text: string;
    try {
      text = new TextDecoder().decode(await this.fs.readFile(file));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw syncErrorFromFs(error, file);
      text = '';
    }
    if (text === this.userText) return false;
    this.userText = text;
    this.user = ignore({ ignorecase: false }).add(text);
    return true;
  }

  /** `drivePath` is absolute and NFC; a folder is tested as such, so `build/` rules match it. */
  isIgnored(drivePath: string, isFolder: boolean): boolean {
    if (drivePath === ROOT) return false;
    if (++this.lookups > CACHE_LOOKUPS) this.forgetAnswers();
    const relative = isFolder ? `${drivePath.slice(1)}/` : drivePath.slice(1);
    return this.builtIn.ignores(relative) || this.user.ignores(relative);
  }

  /** Same rules, empty caches. */
  private forgetAnswers(): void {
    this.lookups = 0;
    this.builtIn = builtInRules();
    this.user = ignore({ ignorecase: false }).add(this.userText);
  }
}

/**
 * A matcher from the ignore package remembers its answer for every path it
 * was asked about (and each path's folders), for as long as it lives: after
 * a walk of 100,000 files the two matchers held ~200,000 answers. The rules
 * are parsed again after this many lookups, which bounds that memory; the
 * parse is a few dozen patterns, and the folders' answers are found again once.
 */
const CACHE_LOOKUPS = 20_000;

function builtInRules(): Ignore {
  return ignore({ ignorecase: true }).add(BUILT_IN_RULES);
}
