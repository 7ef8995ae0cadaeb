import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/system-packages.txt is the one list of system packages: the
 * install script reads it (for the README's install line and .ci/run), and
 * `npm test` checks it first, saying in one line what is missing.
 */

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'netdisk-syspkg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasDpkg = spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status === 0;

/** A list with one package surely installed wherever this test runs (bash) and two surely not. */
function listWithMissing(): string {
  const list = join(dir, 'packages.txt');
  writeFileSync(list, '# a comment\n\nbash   # the shell itself\nnetdisk-no-such-package-a\nnetdisk-no-such-package-b no-recommends  # why\n');
  return list;
}

describe.skipIf(!hasDpkg)('system packages', () => {
  it('install-system-packages.sh --check names exactly the missing ones', () => {
    const check = spawnSync('bash', [join(root, 'scripts/install-system-packages.sh'), '--check'], {
      encoding: 'utf8', env: { ...process.env, SYSTEM_PACKAGES_LIST: listWithMissing() },
    });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n')).toEqual(['netdisk-no-such-package-a', 'netdisk-no-such-package-b']);
  });

  it('npm test stops first with one line naming what is missing and the install command', () => {
    const run = spawnSync(process.execPath, [join(root, 'scripts/test.mjs')], {
      cwd: root, encoding: 'utf8', env: { ...process.env, SYSTEM_PACKAGES_LIST: listWithMissing() },
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      'npm test: missing system packages: netdisk-no-such-package-a netdisk-no-such-package-b; install them with: sudo scripts/install-system-packages.sh',
    ]);
  });

  it('the list is the only one: .ci/run and the README install through the script', () => {
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    expect(ci).toContain('scripts/install-system-packages.sh');
    expect(ci).not.toMatch(/apt-get install/);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('sudo scripts/install-system-packages.sh');
    const check = spawnSync('bash', [join(root, 'scripts/install-system-packages.sh'), '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });
});
