import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real small file system for disk-full and cross-device tests: a tmpfs of a
 * given size, mounted on a fresh folder. Mounting needs root (CI runs as
 * root); where the machine refuses, `mountSmallDisk` says why and the test
 * skips with that reason printed.
 */
export interface SmallDisk {
  /** The mount point. */
  dir: string;
  /** Writes a filler file until the disk has no free byte left; `release` deletes it. */
  fill(): void;
  release(): void;
  /** Unmounts (lazily if something still holds a file open) and removes the mount point. */
  unmount(): void;
}

const FILLER = '.filler';

/** Mounts a tmpfs of `size` (e.g. `'8m'`); a string is the reason it could not. */
export function mountSmallDisk(size: string, prefix = 'small-disk'): SmallDisk | string {
  const dir = mkdtempSync(join(tmpdir(), `netdisk-${prefix}-`));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
  }
  const filler = join(dir, FILLER);
  return {
    dir,
    fill: () => fillUp(filler),
    release: () => rmSync(filler, { force: true }),
    unmount: () => {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Mounts one small disk per size, or returns the reason none can be mounted
 * (after printing it), for `it.skipIf`-style use in a `beforeAll`.
 */
export function mountSmallDisks(sizes: readonly string[], what: string): SmallDisk[] | string {
  const disks: SmallDisk[] = [];
  for (const size of sizes) {
    const disk = mountSmallDisk(size);
    if (typeof disk === 'string') {
      for (const mounted of disks) mounted.unmount();
      console.log(`skipping ${what}: cannot mount a tmpfs (${disk})`);
      return disk;
    }
    disks.push(disk);
  }
  return disks;
}

/** Appends to `file` in shrinking pieces until ENOSPC, so not even one page is left free. */
function fillUp(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (let piece = 1024 * 1024; piece >= 512; piece /= 2) {
      const bytes = Buffer.alloc(piece);
      for (;;) {
        try {
          writeSync(fd, bytes);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}
