import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'netdisk-sync';

/**
 * The folder holding this project's package.json, found by walking up from
 * `fromUrl`. Works both from source (vitest) and from dist/, which is why the
 * workers are resolved against it rather than relative to this module.
 */
export function findPackageRoot(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (isOurPackage(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json named ${PACKAGE_NAME} above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}

/** The compiled hashing worker; it exists after `tsc -b`. */
export function hashWorkerPath(): string {
  return join(findPackageRoot(), 'dist', 'native-workers', 'hashWorker.js');
}

function isOurPackage(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}
