import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryResponse } from '../../protocol/api.js';
import { signUp } from './accounts.js';
import { startCluster, type Cluster } from './cluster.js';
import { eventually } from './syncDevices.js';
import { jsonRequest } from './jsonRequest.js';
import { nginxMissing } from './loadBalancer.js';
import { serviceBuildMissing } from './serviceProcess.js';

/**
 * The cluster helper on its own, with one node on SQLite behind nginx (the
 * two-node suite needs PostgreSQL): requests pass through the balancer, and a
 * node killed with -9 comes back on its port, data folder and signing secret.
 */

const missing = nginxMissing() ?? serviceBuildMissing();
if (missing) console.warn(`skipping the cluster helper test: ${missing}`);

describe.skipIf(missing)('a one-node cluster behind nginx', () => {
  let cluster: Cluster;
  beforeAll(async () => { cluster = await startCluster({ nodes: 1, loadBalancer: true }); }, 60_000);
  afterAll(async () => { await cluster?.stop(); });

  it('serves through the balancer and survives kill -9 and restart of its node', async () => {
    const user = await signUp(cluster.api);
    const made = await jsonRequest(cluster.api, 'POST', '/files/mkdir', { headers: user.auth, body: { path: '/before-kill' } });
    expect(made.status).toBe(200);
    const node = cluster.nodes[0]!;
    // nginx writes a request's log line once it has answered: the line can come a moment after the answer.
    await eventually(async () => {
      expect(cluster.loadBalancer!.accessLog().some((line) => line.uri === '/api/v1/files/mkdir' && line.upstream === `127.0.0.1:${node.port}`)).toBe(true);
    }, 5_000);

    await cluster.kill9(0);
    expect(node.child.signalCode).toBe('SIGKILL');
    // nginx's own answer (HTML) while no node is up.
    expect((await fetch(`${cluster.api}/files/meta?path=%2Fbefore-kill`, { headers: user.auth })).status).toBe(502);

    const again = await cluster.restart(0);
    expect(again.port).toBe(node.port);
    // The access token, signed before the kill, is honoured after it: the secret is the cluster's, not the process's.
    const meta = await jsonRequest(cluster.api, 'GET', '/files/meta?path=%2Fbefore-kill', { headers: user.auth });
    expect(meta.status).toBe(200);
    expect(entryResponse.parse(meta.body).entry.kind).toBe('folder');
  }, 60_000);
});
