import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startLoadBalancer, type LoadBalancer } from './loadBalancer.js';
import { freePort } from './ports.js';
import { startServiceProcess, type ServiceProcess } from './serviceProcess.js';

export interface ClusterOptions {
  /** How many `netdisk-server` processes. */
  nodes: number;
  /** Put nginx in front (round robin); without it `url` is the first node's. */
  loadBalancer: boolean;
  /**
   * Every node's environment: NETDISK_DATABASE_URL for a shared PostgreSQL,
   * NETDISK_BLOBS=s3 with NETDISK_S3_* for a shared bucket. Without them the
   * nodes share the data folder's SQLite file and blob folder, which only
   * one node may use (the in-memory state is per process).
   */
  env?: NodeJS.ProcessEnv;
  /** More environment for node `i` alone (e.g. a short collection interval on one node). */
  nodeEnv?: readonly NodeJS.ProcessEnv[];
  /** Node flags for every node (profiling). */
  nodeArgs?: readonly string[];
}

export interface Cluster {
  /** What clients talk to: the load balancer, or the one node. */
  url: string;
  /** `${url}/api/v1` */
  api: string;
  nodes: ServiceProcess[];
  loadBalancer?: LoadBalancer;
  /** The folder every node was given as `--data` (signing keys, local blobs and staging, SQLite). */
  dataDir: string;
  /** kill -9 of node `i`: its in-flight requests are cut. */
  kill9(i: number): Promise<void>;
  /** Starts node `i` again on its port, data folder and environment (after kill9 or stop). */
  restart(i: number): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * Several service processes on one database and one content store, and
 * optionally nginx in front: the service as several stateless nodes. The
 * nodes share one JWT secret (a token signed by one is honoured by all) and
 * one public URL (the load balancer's, which OAuth callbacks return to).
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'netdisk-cluster-'));
  const ports = await Promise.all(Array.from({ length: options.nodes }, () => freePort()));
  const lbPort = options.loadBalancer ? await freePort() : undefined;
  const url = `http://127.0.0.1:${lbPort ?? ports[0]}`;
  const env: NodeJS.ProcessEnv = {
    NETDISK_JWT_SECRET: randomBytes(32).toString('hex'),
    NETDISK_PUBLIC_URL: url,
    // The loopback balancer forwards the client's address; behind it every client would otherwise be 127.0.0.1.
    NETDISK_TRUST_PROXY: '127.0.0.1,::1',
    // Every client comes from 127.0.0.1 here all the same; a suite or a benchmark registers many.
    NETDISK_REGISTRATIONS_PER_HOUR: '1000000',
    ...options.env,
  };
  const start = (i: number) => startServiceProcess({ dataDir, env: { ...env, ...options.nodeEnv?.[i] }, port: ports[i]!, name: `node ${'ABCDEFGH'[i] ?? i}`, ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}) });
  const nodes: ServiceProcess[] = [];
  let loadBalancer: LoadBalancer | undefined;
  const stop = async () => {
    await loadBalancer?.stop();
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // One after the other: the first may create shared files (keys, schema) the next ones open.
    for (let i = 0; i < options.nodes; i++) nodes.push(await start(i));
    if (lbPort !== undefined) loadBalancer = await startLoadBalancer({ upstreams: ports, port: lbPort });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    api: `${url}/api/v1`,
    nodes,
    ...(loadBalancer ? { loadBalancer } : {}),
    dataDir,
    kill9: (i) => nodes[i]!.kill9(),
    restart: async (i) => {
      await nodes[i]!.stop();
      nodes[i] = await start(i);
      return nodes[i]!;
    },
    stop,
  };
}

/**
 * Whether nodes started with NETDISK_DATABASE_URL=`url` keep their metadata
 * there: the schema's tables exist once one started. A build without the
 * PostgreSQL adapters ignores the variable and keeps SQLite in its data
 * folder, and then two nodes do not share their state.
 */
export async function databaseInUse(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
    return rows[0]!.n > 0;
  } finally {
    await client.end();
  }
}
