/**
 * bench:load: N concurrent simulated clients (bench/support/loadClient.ts:
 * listings, metadata, small uploads, instant uploads, feed polls, downloads,
 * and a change-feed long-poll each) against 1 node and against 2 nodes
 * behind nginx, for NETDISK_BENCH_SECONDS each: requests/s, p50/p99 per
 * operation, errors (must be 0). Then kill -9 of one node mid-load: clients
 * retry (through nginx on the other node; with one node, on the restarted
 * one), and lost or duplicated changes and acknowledged-but-missing files
 * are counted (must be 0).
 *
 * One node runs on SQLite (the default). Two nodes need a shared database:
 * NETDISK_BENCH_DATABASE_URL=postgres://... (a fresh, empty database); without
 * it the 2-node cases are skipped with the reason. Loopback only.
 * NETDISK_BENCH_CLIENTS (default 64), NETDISK_BENCH_SECONDS (default 20).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { tokenPairResponse } from '../protocol/api.js';
import { startCluster, type Cluster } from '../test/helpers/cluster.js';
import { nginxMissing } from '../test/helpers/loadBalancer.js';
import { checkIntegrity, type Integrity } from './support/loadCheck.js';
import { content, LoadClient, LoadStats, OP_WEIGHTS, type Content, type Op } from './support/loadClient.js';
import { call } from './support/loadHttp.js';
import { loadNote, quantile } from './support/stats.js';

const CLIENTS = Number(process.env.NETDISK_BENCH_CLIENTS ?? 64);
const SECONDS = Number(process.env.NETDISK_BENCH_SECONDS ?? 20);
const DATABASE_URL = process.env.NETDISK_BENCH_DATABASE_URL;
/** Contents stored once by a seeding account; instant uploads pick among them. */
const POOL_SIZE = 256;
const PASSWORD = 'load bench password 1234';

interface World {
  cluster: Cluster;
  clients: LoadClient[];
  tokens: string[];
}

async function signIn(api: string, username: string): Promise<string> {
  const registered = await call(api, 'POST', '/auth/register', { body: { username, password: PASSWORD } });
  if (registered.status !== 201) throw new Error(`register ${username} answered ${registered.status}: ${registered.body.toString()}`);
  const login = await call(api, 'POST', '/auth/login', { body: { username, password: PASSWORD, deviceName: 'bench:load' } });
  if (login.status !== 200) throw new Error(`login ${username} answered ${login.status}: ${login.body.toString()}`);
  return tokenPairResponse.parse(login.json()).accessToken;
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) results.push(...await Promise.all(items.slice(i, i + limit).map((item, j) => work(item, i + j))));
  return results;
}

/** A cluster, a seeded content pool and CLIENTS signed-in clients with their folders. */
async function openWorld(nodes: number, env: NodeJS.ProcessEnv): Promise<World> {
  const cluster = await startCluster({ nodes, loadBalancer: nodes > 1, env });
  try {
    const run = randomBytes(3).toString('hex');
    const seederToken = await signIn(cluster.api, `seed-${run}`);
    const pool: Content[] = Array.from({ length: POOL_SIZE }, () => content(randomBytes(4096)));
    const seeder = new LoadClient(-1, cluster.api, seederToken, [], new LoadStats());
    await seeder.setUp();
    await inBatches(pool, 16, (file, i) => seeder.write(`${seeder.folder}/p${i}`, file));
    const tokens = await inBatches(Array.from({ length: CLIENTS }), 8, (_, i) => signIn(cluster.api, `load-${run}-${i}`));
    const clients = tokens.map((token, i) => new LoadClient(i, cluster.api, token, pool, new LoadStats()));
    await inBatches(clients, 16, (client) => client.setUp());
    return { cluster, clients, tokens };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

interface PhaseResult {
  stats: LoadStats;
  seconds: number;
  integrity: Integrity;
}

/** SECONDS of load from every client, with `fault` started at a third of it; then the feeds are read out and checked. */
async function phase(world: World, fault?: (cluster: Cluster) => Promise<void>): Promise<PhaseResult> {
  const stats = new LoadStats();
  for (const client of world.clients) client.stats = stats;
  const following = new AbortController();
  const followers = world.clients.map((client) => client.follow(following.signal));
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const faulted = fault ? new Promise((resolve) => setTimeout(resolve, SECONDS * 1000 / 3)).then(() => fault(world.cluster)) : undefined;
  await Promise.all(world.clients.map((client) => client.run(deadline)));
  const seconds = (performance.now() - started) / 1000;
  await faulted;
  following.abort();
  await Promise.all(followers);
  await Promise.all(world.clients.map((client) => client.drainFeed()));
  const integrity = await checkIntegrity(world.cluster.api, world.clients, world.tokens);
  return { stats, seconds, integrity };
}

function report(title: string, { stats, seconds, integrity }: PhaseResult): number {
  const rate = stats.requests / seconds;
  console.log(`\n${title}: ${CLIENTS} clients, ${seconds.toFixed(1)} s, ${loadNote()}`);
  console.log(`  ${stats.requests} requests, ${rate.toFixed(0)} requests/s; errors ${stats.errors.length}; retries ${stats.retries}; `
    + `challenges lost with a node ${stats.lostChallenges}; instant uploads rationed (bytes sent) ${stats.rationed}`);
  for (const op of Object.keys(OP_WEIGHTS) as Op[]) {
    const ms = stats.latencies.get(op) ?? [];
    if (ms.length === 0) continue;
    console.log(`  ${op.padEnd(8)} ${String(ms.length).padStart(6)} done  p50 ${quantile(ms, 0.5).toFixed(1).padStart(6)} ms  p99 ${quantile(ms, 0.99).toFixed(1).padStart(7)} ms`);
  }
  console.log(`  integrity over ${integrity.files} acknowledged files: feed gaps ${integrity.gaps}, duplicated/out-of-order changes ${integrity.duplicates}, `
    + `acknowledged writes missing from the feed ${integrity.lostChanges}, acknowledged files missing or wrong ${integrity.missingFiles}`);
  for (const error of stats.errors.slice(0, 5)) console.log(`  error: ${error}`);
  return rate;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let failed = false;
const check = (result: PhaseResult, allowRetries: boolean) => {
  const i = result.integrity;
  if (result.stats.errors.length > 0 || i.gaps + i.duplicates + i.lostChanges + i.missingFiles > 0) failed = true;
  if (!allowRetries && result.stats.retries > 0) failed = true;
};

console.log(`bench:load: ${CLIENTS} clients, ${SECONDS} s per phase; op mix ${JSON.stringify(OP_WEIGHTS)}; ${loadNote()}`);

// 1 node, SQLite, clients straight to it: the baseline.
const single = await openWorld(1, {});
let baseline: number;
try {
  const steady = await phase(single);
  baseline = report('1 node (SQLite)', steady);
  check(steady, false);
  const killed = await phase(single, async (cluster) => {
    await cluster.kill9(0);
    await pause(1000);
    await cluster.restart(0);
  });
  report('1 node (SQLite), kill -9 at 1/3 and restart after 1 s', killed);
  check(killed, true);
} finally {
  await single.cluster.stop();
}

const twoNodesMissing = DATABASE_URL === undefined
  ? 'NETDISK_BENCH_DATABASE_URL is not set (two nodes need a shared PostgreSQL database)'
  : nginxMissing();
if (twoNodesMissing) {
  console.log(`\n2 nodes: skipped: ${twoNodesMissing}`);
} else {
  const env = { NETDISK_DATABASE_URL: DATABASE_URL };
  const pair = await openWorld(2, env);
  try {
    const steady = await phase(pair);
    const rate = report('2 nodes (PostgreSQL) behind nginx', steady);
    console.log(`  ratio to 1 node (SQLite): ${(rate / baseline).toFixed(2)}`);
    check(steady, false);
    const killed = await phase(pair, (cluster) => cluster.kill9(1));
    report('2 nodes (PostgreSQL) behind nginx, kill -9 of node B at 1/3, no restart', killed);
    check(killed, true);
  } finally {
    await pair.cluster.stop();
  }
}
if (failed) {
  console.log('\nFAILED: errors in steady state, or changes or acknowledged files lost');
  process.exitCode = 1;
}
