#!/usr/bin/env node
// `npm run sim [-- --histories N] [--seed N]`: the deterministic simulation
// (test/sim) over new histories: as many as CI plays (2,000) unless told more
// (nightly: --histories 100000). A failure prints the one-line command that
// replays it (SIM_SEED=... SIM_PATH=... npx vitest run test/sim).
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    histories: { type: 'string', default: '2000' },
    seed: { type: 'string' },
  },
});
const histories = Number(values.histories);
if (!Number.isInteger(histories) || histories < 1) {
  console.error(`npm run sim: --histories must be a positive whole number, not "${values.histories}"`);
  process.exit(2);
}
// New histories each run unless a seed is asked for (CI, without this script, always plays the same ones).
const env = { ...process.env, SIM_HISTORIES: String(histories), SIM_RUN_SEED: values.seed ?? 'random' };
const started = Date.now();
const { status } = spawnSync('npx', ['vitest', 'run', 'test/sim'], { stdio: 'inherit', env });
const minutes = (Date.now() - started) / 60_000;
console.log(`npm run sim: ${histories} histories in ${minutes.toFixed(1)} min (${Math.round(histories / minutes)} per minute, including start-up)`);
process.exit(status ?? 1);
