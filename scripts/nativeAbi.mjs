// better-sqlite3 is a V8-ABI addon: one build loads in Node, another in
// Electron. `npm start` and `npm test` each make sure the build in
// node_modules is theirs, so the two commands work in any order.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const MARKER = 'node_modules/.netdisk-native-runtime';
const require = createRequire(import.meta.url);

/** Which runtime the native addons were last built for ('node' when nobody said otherwise). */
export function nativeRuntime() {
  return existsSync(MARKER) ? readFileSync(MARKER, 'utf8').trim() : 'node';
}

function run(cmd, args) {
  const status = spawnSync(cmd, args, { stdio: 'inherit' }).status;
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${status})`);
}

/** Rebuilds for Node if the addon does not load in this Node (it was built for Electron). */
export function ensureNodeBuild() {
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    return;
  } catch (error) {
    if (!/NODE_MODULE_VERSION|was compiled against/.test(String(error))) throw error;
  }
  console.log('native addons were built for Electron; rebuilding them for Node');
  run('npm', ['rebuild', 'better-sqlite3']);
  writeFileSync(MARKER, 'node\n');
}

/** Rebuilds for Electron (downloads its headers: needs internet once). */
export function ensureElectronBuild() {
  if (nativeRuntime() === 'electron') return;
  console.log('building native addons for Electron (first start only)');
  run('npx', ['electron-builder', 'install-app-deps']);
  writeFileSync(MARKER, 'electron\n');
}
