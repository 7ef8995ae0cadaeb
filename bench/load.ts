/**
 * bench:load: N concurrent simulated clients (bench/support/loadClient.ts:
 * listings, metadata, small uploads, instant uploads, feed polls, downloads,
 * and a change-feed long-poll each) for NETDISK_BENCH_SECONDS per phase:
 * requests/s, p50/p99 per operation, errors (must be 0); then kill -9 of one
 * node mid-load, clients retrying (through nginx on the other node; with one
 * node, on the restarted one), and lost or duplicated changes and
 * acknowledged-but-missing files counted (must be 0).
 *
 * Phases: 1 node on SQLite (the default, clients straight to it), then with
 * PostgreSQL 1 node and 2 nodes, both behind nginx so that the proxy's cost
 * is on both sides of the ratio. PostgreSQL is NETDISK_BENCH_DATABASE_URL
 * (an empty database) or, when unset, a throwaway server from
 * test/helpers/postgres.ts (fsync off). Without PostgreSQL, nginx or a
 * build that uses NETDISK_DATABASE_URL the PostgreSQL phases are skipped
 * with the reason. Loopback only. NETDISK_BENCH_CLIENTS (default 64),
 * NETDISK_BENCH_USERS (accounts the clients share, default 16),
 * NETDISK_BENCH_SECONDS (default 20), NETDISK_BENCH_CASES (`sqlite`,
 * `postgres`, comma-separated; default both).
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { tokenPairResponse } from '../protocol/api.js';
import { databaseInUse, startCluster, type Cluster } from '../test/helpers/cluster.js';
import { nginxMissing } from '../test/helpers/loadBalancer.js';
import { createDatabase, postgresMissing, startPostgres, stopPostgres, type PostgresInfo } from '../test/helpers/postgres.js';
import { checkIntegrity, type Integrity } from './support/loadCheck.js';
import { content, LoadClient, LoadStats, OP_WEIGHTS, type Content, type Op } from './support/loadClient.js';
import { call } from './support/loadHttp.js';
import { loadNote, quantile } from './support/stats.js';

const CLIENTS = Number(process.env.NETDISK_BENCH_CLIENTS ?? 64);
/** Accounts the clients share (each signs in with scrypt's full cost, which dominates the setup). */
const USERS = Math.min(CLIENTS, Number(process.env.NETDISK_BENCH_USERS ?? 16));
const SECONDS = Number(process.env.NETDISK_BENCH_SECONDS ?? 20);
const DATABASE_URL = process.env.NETDISK_BENCH_DATABASE_URL;
const CASES = new Set((process.env.NETDISK_BENCH_CASES ?? 'sqlite,postgres').split(','));
/** Contents stored once by a seeding account; instant uploads pick among them. */
const POOL_SIZE = 256;
const PASSWORD = 'load bench password 1234';

/** What Ctrl-C must stop: the services, nginx and PostgreSQL this run started (they are not its process group's). */
const stopOnSignal = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping what this run started`);
    void Promise.allSettled([...stopOnSignal].map((stop) => stop())).then(() => process.exit(130));
  });
}

/** startCluster, stopped on Ctrl-C too. */
async function startStoppableCluster(options: Parameters<typeof startCluster>[0]): Promise<Cluster> {
  const started = await startCluster(options);
  stopOnSignal.add(started.stop);
  return started;
}

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

/** On a started cluster: a seeded content pool and CLIENTS signed-in clients with their folders. */
async function populate(cluster: Cluster): Promise<World> {
  try {
    const run = randomBytes(3).toString('hex');
    const seederToken = await signIn(cluster.api, `seed-${run}`);
    const pool: Content[] = Array.from({ length: POOL_SIZE }, () => content(randomBytes(4096)));
    // Straight to one node: the seeding is setup, not load, and must not fail on what the load is there to find.
    const seeder = new LoadClient(-1, cluster.nodes[0]!.api, seederToken, [], new LoadStats());
    await seeder.setUp();
    await inBatches(pool, 16, (file, i) => seeder.write(`${seeder.folder}/p${i}`, file));
    // Several devices per account: their commits to one tree race, from different nodes when there are two.
    const accounts = await inBatches(Array.from({ length: USERS }), 8, (_, i) => signIn(cluster.api, `load-${run}-${i}`));
    const tokens = Array.from({ length: CLIENTS }, (_, i) => accounts[i % USERS]!);
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
  // Every client's long-poll listens on it.
  setMaxListeners(CLIENTS + 10, following.signal);
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

console.log(`bench:load: ${CLIENTS} clients on ${USERS} accounts, ${SECONDS} s per phase; op mix ${JSON.stringify(OP_WEIGHTS)}; ${loadNote()}`);

// 1 node, SQLite, clients straight to it: the baseline.
let baseline: number | undefined;
if (CASES.has('sqlite')) {
  const single = await populate(await startStoppableCluster({ nodes: 1, loadBalancer: false }));
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
}

/** A fresh database for each PostgreSQL world, or the one given. */
async function databases(): Promise<{ next(): Promise<string>; close(): Promise<void> } | string> {
  if (DATABASE_URL) return { next: async () => DATABASE_URL, close: async () => {} };
  const missing = nginxMissing() ?? postgresMissing();
  if (missing) return missing;
  const server: PostgresInfo = await startPostgres();
  stopOnSignal.add(() => stopPostgres(server));
  console.log('\nPostgreSQL: a throwaway server from test/helpers/postgres.ts (fsync off; SQLite above syncs every commit batch)');
  return { next: () => createDatabase(server), close: () => stopPostgres(server) };
}

/** Runs `body` on a world of `nodes` nodes behind nginx on a fresh PostgreSQL database; its rate, or why it could not run. */
async function onPostgres(nodes: number, next: () => Promise<string>, body: (world: World) => Promise<number>): Promise<number | string> {
  const url = await next();
  const nodesCluster = await startStoppableCluster({ nodes, loadBalancer: true, env: { NETDISK_DATABASE_URL: url } });
  try {
    if (!(await databaseInUse(url))) return 'this build ignores NETDISK_DATABASE_URL (no PostgreSQL adapters): the nodes would not share their state';
    return await body(await populate(nodesCluster));
  } catch (error) {
    // A refusal while seeding or signing in is a finding to print, not a reason to skip the other cases.
    failed = true;
    return `failed on ${nodes} node(s): ${(error as Error).message}`;
  } finally {
    await nodesCluster.stop();
  }
}

const postgres = CASES.has('postgres') ? await databases() : 'not asked for (NETDISK_BENCH_CASES)';
if (typeof postgres === 'string') {
  console.log(`\nPostgreSQL phases skipped: ${postgres}`);
} else {
  try {
    const onePg = await onPostgres(1, postgres.next, async (world) => {
      const steady = await phase(world);
      check(steady, false);
      return report('1 node (PostgreSQL) behind nginx', steady);
    });
    if (typeof onePg === 'string') console.log(`\n1 node (PostgreSQL): ${onePg}`);
    const twoPg = await onPostgres(2, postgres.next, async (world) => {
      const steady = await phase(world);
      const rate = report('2 nodes (PostgreSQL) behind nginx', steady);
      const ratio = (to: number | string | undefined) => (typeof to === 'number' ? (rate / to).toFixed(2) : 'n/a');
      console.log(`  ratio to 1 node (PostgreSQL) behind nginx: ${ratio(onePg)}; to 1 node (SQLite): ${ratio(baseline)}`);
      check(steady, false);
      const killed = await phase(world, (cluster) => cluster.kill9(1));
      report('2 nodes (PostgreSQL) behind nginx, kill -9 of node B at 1/3, no restart', killed);
      check(killed, true);
      return rate;
    });
    if (typeof twoPg === 'string') console.log(`\n2 nodes (PostgreSQL): ${twoPg}`);
  } finally {
    await postgres.close();
  }
}
if (failed) {
  console.log('\nFAILED: errors in steady state, or changes or acknowledged files lost');
  process.exitCode = 1;
}
