#!/usr/bin/env node
// `npm test`: build, run Vitest (unit + integration) and, when present, the
// Playwright suite, then print one closing line "N passed, N failed" that CI
// reads (it does not parse either runner's own summary).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeBuild } from './nativeAbi.mjs';
import { INSTALL_COMMAND, missingSystemPackages } from './systemPackages.mjs';

// A fresh machine lacks Chromium, D-Bus or the keyring: say so in one line now, not deep inside Playwright.
const missing = missingSystemPackages();
if (missing.length > 0) {
  console.error(`npm test: missing system packages: ${missing.join(' ')}; install them with: ${INSTALL_COMMAND}`);
  process.exit(1);
}

const out = '.test-output';
// A report left by an earlier run must never be counted as this run's.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
ensureNodeBuild();
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

let passed = 0;
let failed = 0;
let skipped = 0;

// `npm run build`: tsc -b plus the Electron main process and the bundled preload.
if (run('npm', ['run', 'build']) !== 0) failed += 1;
if (run('npx', ['tsc', '-p', 'tsconfig.check.json']) !== 0) failed += 1;
if (run('npx', ['tsc', '-p', 'renderer/tsconfig.json']) !== 0) failed += 1;
if (run('npx', ['eslint', '.']) !== 0) failed += 1;

const vitestJson = join(out, 'vitest.json');
const vitestStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`, ...process.argv.slice(2)]);
if (existsSync(vitestJson)) {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  // A suite that failed to load counts as a failure even if it reported no test.
  if (vitestStatus !== 0 && report.numFailedTests === 0) failed += 1;
} else if (vitestStatus !== 0) {
  failed += 1;
}

const hasE2e = existsSync('test/e2e') && readdirSync('test/e2e').some((f) => f.endsWith('.spec.ts'));
if (hasE2e) {
  const pwJson = join(out, 'playwright.json');
  const pwStatus = run('npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
  if (existsSync(pwJson)) {
    const { stats } = JSON.parse(readFileSync(pwJson, 'utf8'));
    passed += stats.expected;
    failed += stats.unexpected;
    skipped += stats.skipped;
    if (pwStatus !== 0 && stats.unexpected === 0) failed += 1;
  } else if (pwStatus !== 0) {
    failed += 1;
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
