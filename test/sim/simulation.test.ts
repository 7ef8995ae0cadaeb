import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { World, type Action, type History } from './simWorld.js';

/**
 * The deterministic simulation: the real engine (scanner, planner, executors,
 * transfers, state database) against in-memory worlds (test/sim/README.md).
 * Each history: 2-3 devices and the service, random user actions, random
 * interleavings of every file-system call and request, watcher events lost,
 * repeated and reordered, crashes with restart from the state database,
 * service 5xx and timeouts, disk faults, a pruned change feed. Then faults
 * heal, and the four invariants must hold.
 *
 * Replay one failure: SIM_SEED=<seed> SIM_PATH=<path> npx vitest run test/sim
 * More histories: npm run sim -- --histories 100000
 */

const ALL_PATHS = ['/a', '/A', '/b', '/d', '/D', '/e', '/d/a', '/d/A', '/d/b', '/e/a', '/d/f', '/d/f/a'];
const PATHS = process.env.SIM_NO_CASE ? ALL_PATHS.filter((p) => p === p.toLowerCase()) : ALL_PATHS;

const device = fc.nat(2);
const path = fc.constantFrom(...PATHS);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ type: fc.constant('step' as const), count: fc.integer({ min: 1, max: 25 }) }) },
  { weight: 8, arbitrary: fc.record({ type: fc.constant('write' as const), device, path, large: fc.integer({ min: 0, max: 9 }).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('save' as const), device, path }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('mkdir' as const), device, path }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('delete' as const), device, path }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('move' as const), device, from: path, to: path }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('kind' as const), device, path }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('deliver' as const), device, pick: fc.nat(50), mode: fc.constantFrom('deliver' as const, 'deliver' as const, 'duplicate' as const, 'lose' as const) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 120_000 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('crash' as const), device }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('remoteFault' as const), device, mode: fc.constantFrom('5xx' as const, 'timeout' as const), count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('fsFault' as const), device, code: fc.constantFrom('ENOSPC' as const, 'EIO' as const, 'EACCES' as const), op: fc.constantFrom('write' as const, 'any' as const), count: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'pruneFeed' as const }) },
);

const history: fc.Arbitrary<{ seed: number; history: History }> = fc.record({
  seed: fc.integer(),
  history: fc.record({ devices: fc.integer({ min: 2, max: 3 }), actions: fc.array(action, { minLength: 1, maxLength: 30 }) }),
});

/** Plays one history; throws with what broke, the history's log and its actions. */
async function play({ seed, history: h }: { seed: number; history: History }): Promise<void> {
  const world = new World(seed, h.devices);
  const outcome = await world.play(h);
  if (outcome.failures.length > 0) {
    throw new Error(`${outcome.failures.join('\n')}\n--- log ---\n${outcome.log.join('\n')}`);
  }
}

const HISTORIES = Number(process.env.SIM_HISTORIES ?? 2000);
/** One history again: the seed and path a failure printed. */
const replay = process.env.SIM_SEED === undefined ? {} : { seed: Number(process.env.SIM_SEED), path: process.env.SIM_PATH, numRuns: 1 };
/**
 * Which histories: CI plays the same ones every run (a fixed seed), so a red
 * run is a change's doing; `npm run sim` explores new ones (SIM_RUN_SEED=random,
 * fast-check's own seed, printed with any failure) or a chosen set (--seed N).
 */
const CI_SEED = 20_261_201;
const runSeed = process.env.SIM_RUN_SEED === 'random' ? {} : { seed: Number(process.env.SIM_RUN_SEED ?? CI_SEED) };

/**
 * Histories the simulation once broke an invariant with, each kept under the
 * name of what it found (shrunk by fast-check), and played on every run.
 */
const REGRESSIONS: { name: string; seed: number; history: History }[] = [
  {
    // The engine crashed between creating and removing its case-sensitivity
    // probe; the probe file (ignored by the sync) stayed in the folder for ever.
    name: 'a crash mid case-probe leaves no probe file in the folder',
    seed: 0,
    history: { devices: 2, actions: [{ type: 'step', count: 6 }, { type: 'crash', device: 0 }, { type: 'step', count: 1 }] },
  },
  {
    // host-a held host-b's first /D when actions stopped; host-b's user had written over it. The check
    // called that first version lost once host-a took the second: an edit replaces a version by intent.
    name: 'a version its user edited into a newer one is not counted as lost when the newer one replaces it',
    seed: 0,
    history: {
      devices: 2,
      actions: [{ type: 'write', device: 1, path: '/D', large: false }, { type: 'step', count: 200 }, { type: 'write', device: 1, path: '/D', large: false }],
    },
  },
  {
    // Equal trees compared unequal: the device's walk listed /d/b before "/d (conflicted copy …)", the
    // service's sorted list after it, so the check waited for a convergence that had happened.
    name: 'trees compare in one path order, whatever order a walk lists them in',
    seed: 0,
    history: {
      devices: 2,
      actions: [
        { type: 'mkdir', device: 1, path: '/d' },
        { type: 'write', device: 1, path: '/d/b', large: true },
        { type: 'write', device: 0, path: '/d', large: true },
        { type: 'crash', device: 0 },
      ],
    },
  },
  {
    // Two I/O errors in a row: the rm of the case probe, then the rm of that leftover at the next probe
    // (swallowed), while the new probe went fine; the probe file stayed in host-a's folder until a restart.
    name: 'a case probe whose removal failed is removed once the disk heals',
    seed: 1_351_316_739,
    history: {
      devices: 2,
      actions: [{ type: 'step', count: 14 }, { type: 'fsFault', device: 0, code: 'EIO', op: 'write', count: 2 }, { type: 'step', count: 10 }],
    },
  },
  {
    // One device made the folder /d, another the file /D; the service refused /D (case_conflict)
    // every round, so the file stayed on its device and never reached the others.
    name: 'a name that differs only by case from another device\'s entry is moved aside and synced',
    seed: 0,
    history: { devices: 2, actions: [{ type: 'mkdir', device: 0, path: '/d' }, { type: 'write', device: 1, path: '/D', large: true }] },
  },
  {
    // A 5xx made host-a's round back off; its long poll, seeing news the stored cursor had not pulled yet,
    // answered at once, again and again, so (here) virtual time never moved and the round never ran again.
    name: 'the long poll waits for a sync after it saw news instead of polling in a hot loop',
    seed: 0,
    history: {
      devices: 2,
      actions: [
        { type: 'step', count: 5 },
        { type: 'write', device: 1, path: '/a', large: true },
        { type: 'remoteFault', device: 0, mode: '5xx', count: 1 },
        { type: 'step', count: 9 },
        { type: 'write', device: 0, path: '/a', large: true },
      ],
    },
  },
  {
    // host-a renamed its only folder /e to /a; a round that saw /e gone before the event of /a took the
    // folder for emptied (an unmounted disk) and stopped syncing for good with sync_root_missing.
    name: 'renaming the only entry of the folder does not read as an emptied folder',
    seed: 0,
    history: {
      devices: 2,
      actions: [
        { type: 'mkdir', device: 0, path: '/e' },
        { type: 'step', count: 21 },
        { type: 'move', device: 0, from: '/e', to: '/a' },
        { type: 'write', device: 1, path: '/a', large: true },
      ],
    },
  },
];

describe('simulation', () => {
  for (const regression of REGRESSIONS) {
    it(`regression: ${regression.name}`, () => play(regression));
  }

  it('plays the same history the same way twice: same calls in the same order, same log, same trees', async () => {
    const faulty: History = {
      devices: 2,
      actions: [
        { type: 'write', device: 0, path: '/a', large: false }, { type: 'write', device: 1, path: '/b', large: true },
        { type: 'remoteFault', device: 0, mode: '5xx', count: 3 }, { type: 'remoteFault', device: 1, mode: 'timeout', count: 3 },
        { type: 'step', count: 40 }, { type: 'crash', device: 1 }, { type: 'write', device: 1, path: '/a', large: false }, { type: 'step', count: 40 },
      ],
    };
    const samples = [{ seed: 3, history: faulty }, ...fc.sample(history, { seed: 7, numRuns: 10 })];
    for (const sample of samples) {
      const runs = [];
      for (let i = 0; i < 2; i++) {
        const world = new World(sample.seed, sample.history.devices);
        const outcome = await world.play(sample.history);
        runs.push({ steps: outcome.steps, trace: outcome.trace, log: outcome.log, trees: world.describeTrees(), failures: outcome.failures });
      }
      expect(runs[1]).toEqual(runs[0]);
    }
  }, 120_000);

  it(`keeps the four invariants over ${HISTORIES} random histories`, async () => {
    const result = await fc.check(fc.asyncProperty(history, play), { numRuns: HISTORIES, ...runSeed, ...replay });
    if (result.failed) {
      const replayCommand = `SIM_SEED=${result.seed} SIM_PATH=${result.counterexamplePath ?? ''} npx vitest run test/sim`;
      throw new Error(`a history broke an invariant; replay it with:\n  ${replayCommand}\n${String(result.errorInstance instanceof Error ? result.errorInstance.message : result.errorInstance)}\n--- history ---\n${JSON.stringify(result.counterexample?.[0])}`);
    }
    expect(result.numRuns).toBe(replay.numRuns ?? HISTORIES);
  }, Math.max(600_000, HISTORIES * 1000));
});
