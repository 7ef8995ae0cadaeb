import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT, joinPath } from '../../protocol/paths.js';
import { SyncWorld, mirrorLocalFile, perform, type Action } from '../../test/helpers/syncWorld.js';
import { planSync } from './planner.js';

/**
 * The planner-only randomized suite ARCHITECTURE.md describes: one synced
 * tree, perturbed independently on both sides; the planned ops run in
 * shuffled order against a simulated world whose executor refuses stale ops;
 * plan again until nothing is left. fast-check prints the seed of a failure.
 */
const MAX_ROUNDS = 30;
const NUM_RUNS = Number(process.env.PLANNER_RUNS ?? 3000);

const names = fc.constantFrom('a', 'b', 'c.txt', 'd.tar.gz', '.e', 'F');
const actionType = fc.constantFrom<Action['type']>('file', 'folder', 'edit', 'delete', 'move');
const action = fc.record({ type: actionType, pick: fc.nat(), to: fc.nat(), name: names });
const remoteAction = fc.oneof(
  { weight: 5, arbitrary: action },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('mirror' as const), pick: fc.nat() }) },
);
const initialTree = fc.array(fc.record({ kind: fc.constantFrom('file' as const, 'folder' as const), parent: fc.nat(), name: names }), { maxLength: 14 });

function buildSpec(items: ReadonlyArray<{ kind: 'file' | 'folder'; parent: number; name: string }>) {
  const folders = [ROOT];
  const seen = new Set<string>();
  const spec: { path: string; kind: 'file' | 'folder' }[] = [];
  for (const item of items) {
    const path = joinPath(folders[item.parent % folders.length]!, item.name);
    if (seen.has(path)) continue;
    seen.add(path);
    spec.push({ path, kind: item.kind });
    if (item.kind === 'folder') folders.push(path);
  }
  return spec;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function fileContents(world: SyncWorld): Set<string> {
  const contents = new Set<string>();
  for (const tree of [world.local, world.remote]) {
    for (const node of tree.values()) if (node.contentHash !== null) contents.add(node.contentHash);
  }
  return contents;
}

/** Plans and applies (shuffled) until the plan is empty; returns the rounds it took. */
function syncUntilQuiet(world: SyncWorld, random: () => number): number {
  let now = Date.UTC(2026, 10, 26, 12, 0, 0);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const ops = planSync(world.trees(), { host: 'sim', now });
    if (ops.length === 0) return round;
    for (const op of shuffle(ops, random)) world.apply(op);
    now += 1000;
  }
  throw new Error(`no fixpoint after ${MAX_ROUNDS} rounds`);
}

function expectConverged(world: SyncWorld): void {
  const paths = [...world.base.keys()].sort();
  expect([...world.local.keys()].sort()).toEqual(paths);
  expect([...world.remote.keys()].sort()).toEqual(paths);
  for (const path of paths) {
    const base = world.base.get(path)!;
    const local = world.local.get(path)!;
    const remote = world.remote.get(path)!;
    expect({ kind: local.kind, hash: local.contentHash, inode: local.inode }).toEqual({ kind: base.kind, hash: base.contentHash, inode: base.inode });
    expect({ kind: remote.kind, hash: remote.contentHash, id: remote.id, rev: remote.rev }).toEqual({ kind: base.kind, hash: base.contentHash, id: base.remoteId, rev: base.rev });
  }
}

describe('planner, randomized', () => {
  it('converges to three equal trees without losing any new content', () => {
    const started = performance.now();
    let maxRounds = 0;
    fc.assert(
      fc.property(initialTree, fc.array(action, { maxLength: 8 }), fc.array(remoteAction, { maxLength: 8 }), fc.integer(), (items, localActions, remoteActions, seed) => {
        const world = SyncWorld.synced(buildSpec(items));
        const original = fileContents(world);
        for (const a of localActions) perform(world, world.localSide, a);
        for (const a of remoteActions) {
          if (a.type === 'mirror') mirrorLocalFile(world, a.pick);
          else perform(world, world.remoteSide, a);
        }
        // Created or edited contents are the latest versions and must survive; a version that was
        // only moved may rightly be superseded by an edit of the same file on the other side.
        const mustSurvive = [...fileContents(world)].filter((content) => !original.has(content));

        const rounds = syncUntilQuiet(world, mulberry32(seed));
        maxRounds = Math.max(maxRounds, rounds);

        expectConverged(world);
        const finalContents = new Set([...world.local.values()].map((node) => node.contentHash));
        for (const content of mustSurvive) expect(finalContents.has(content), `content ${content} was lost`).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
    console.log(`planner property: ${NUM_RUNS} runs in ${Math.round(performance.now() - started)} ms, at most ${maxRounds} rounds`);
  });
});
