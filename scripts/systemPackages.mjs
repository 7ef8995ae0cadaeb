// The system packages of scripts/system-packages.txt that this machine lacks,
// as scripts/install-system-packages.sh --check reports them (one parser of
// the list, in that script). Empty where there is no dpkg to ask (not Debian
// or Ubuntu): there the list is only a guide.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const INSTALL_COMMAND = 'sudo scripts/install-system-packages.sh';

export function missingSystemPackages(root = process.cwd()) {
  if (spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status !== 0) return [];
  const check = spawnSync('bash', [join(root, 'scripts', 'install-system-packages.sh'), '--check'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`scripts/install-system-packages.sh --check failed: ${check.stderr}`);
  return check.stdout.split('\n').filter(Boolean);
}
