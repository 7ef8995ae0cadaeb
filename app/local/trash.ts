import { homedir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { errnoCode, syncErrorFromFs } from '../fsErrors.js';
import { nodeLocalFs, type LocalFs, type LocalStats } from './localFs.js';

/**
 * Where a local file or folder goes instead of being deleted, so the user can
 * get it back. Tiny on purpose: the desktop app may inject Electron's
 * shell.trashItem instead.
 */
export interface LocalTrash {
  /**
   * `check`, when given, sees the item's lstat right before the rename and
   * throws to leave it in place: the last look is as close to the move as the
   * file system allows, so a file the user rewrote meanwhile is not trashed.
   */
  moveToTrash(absPath: string, check?: (stats: LocalStats) => void): Promise<void>;
}

/** Moves into `<stateDir>/trash/<timestamp>-<name>`; copies and deletes when that is on another device. */
export class StateDirTrash implements LocalTrash {
  constructor(
    private readonly stateDir: string,
    private readonly now: () => Date = () => new Date(),
    private readonly fs: LocalFs = nodeLocalFs,
  ) {}

  async moveToTrash(absPath: string, check?: (stats: LocalStats) => void): Promise<void> {
    const { fs } = this;
    const trashDir = join(this.stateDir, 'trash');
    try {
      await fs.mkdir(trashDir, { recursive: true, mode: 0o700 });
      const stamp = this.now().toISOString().replace(/[:.]/g, '-');
      const target = await freePath(fs, trashDir, `${stamp}-${basename(absPath)}`);
      if (check) check(await fs.lstat(absPath));
      await moveAcrossDevices(fs, absPath, target);
    } catch (error) {
      throw syncErrorFromFs(error, absPath);
    }
  }
}

/**
 * The freedesktop.org trash (Trash spec 1.0) in the user's home trash: the item
 * goes to `files/<name>` with `info/<name>.trashinfo` saying where it came
 * from and when, so file managers can restore it. Items on another device than
 * the home trash go to `fallback` instead (the spec's per-volume trash dirs
 * are left out: the state dir is always writable).
 */
export class FreedesktopTrash implements LocalTrash {
  constructor(
    private readonly fallback: LocalTrash,
    private readonly trashDir: string = defaultHomeTrash(),
    private readonly now: () => Date = () => new Date(),
    private readonly fs: LocalFs = nodeLocalFs,
  ) {}

  async moveToTrash(absPath: string, check?: (stats: LocalStats) => void): Promise<void> {
    const { fs } = this;
    const source = resolve(absPath);
    try {
      const files = join(this.trashDir, 'files');
      const infos = join(this.trashDir, 'info');
      await fs.mkdir(files, { recursive: true, mode: 0o700 });
      await fs.mkdir(infos, { recursive: true, mode: 0o700 });
      const [item, trash] = await Promise.all([fs.lstat(source), fs.stat(files)]);
      if (item.dev !== trash.dev) return await this.fallback.moveToTrash(source, check);
      // The .trashinfo is created exclusively first: that is what reserves the name.
      const name = await reserveTrashName(fs, files, infos, basename(source), trashInfo(source, this.now()));
      try {
        if (check) check(await fs.lstat(source));
        await fs.rename(source, join(files, name));
      } catch (error) {
        await fs.unlink(join(infos, `${name}.trashinfo`));
        throw error;
      }
    } catch (error) {
      throw syncErrorFromFs(error, source);
    }
  }
}

export function defaultHomeTrash(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'Trash');
}

/** The .trashinfo text: Path URL-escaped per the spec, DeletionDate in local time without zone. */
export function trashInfo(absPath: string, when: Date): string {
  const path = absPath.split('/').map(encodeURIComponent).join('/');
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}T${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`;
  return `[Trash Info]\nPath=${path}\nDeletionDate=${date}\n`;
}

/** `name`, then `name.2.ext`, `name.3.ext`, ...: the candidates for a free name. */
function* numbered(name: string): Generator<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  yield name;
  for (let n = 2; ; n++) yield `${stem}.${n}${ext}`;
}

async function freePath(fs: LocalFs, dir: string, name: string): Promise<string> {
  for (const candidate of numbered(name)) {
    const path = join(dir, candidate);
    if (!(await exists(fs, path))) return path;
  }
  throw new Error('unreachable: numbered() never ends');
}

/** Creates `<infos>/<name>.trashinfo` exclusively for a name also free in `files`; returns the name. */
async function reserveTrashName(fs: LocalFs, files: string, infos: string, name: string, content: string): Promise<string> {
  for (const candidate of numbered(name)) {
    if (await exists(fs, join(files, candidate))) continue;
    try {
      await fs.writeFile(join(infos, `${candidate}.trashinfo`), content, { flag: 'wx', mode: 0o600 });
      return candidate;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
  }
  throw new Error('unreachable: numbered() never ends');
}

async function exists(fs: LocalFs, path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** rename(2), or a copy then delete when source and target are on different devices. */
async function moveAcrossDevices(fs: LocalFs, from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') throw error;
    await fs.copyTree(from, to);
    await fs.rm(from, { recursive: true, force: true });
  }
}
