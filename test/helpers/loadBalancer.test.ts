import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxMissing, startLoadBalancer, type LoadBalancer } from './loadBalancer.js';

/**
 * The nginx load balancer the two-node suite and bench:load put in front of
 * service processes, checked against two plain node:http upstreams that say
 * who they are and count the body bytes they have been sent so far.
 */

interface Upstream {
  server: Server;
  port: number;
  /** Body bytes of the current streaming request that have arrived. */
  received: number;
}

async function startUpstream(name: string): Promise<Upstream> {
  const upstream = { received: 0 } as Upstream;
  upstream.server = createServer((req, res) => {
    if (req.url === '/slow') {
      setTimeout(() => res.end(name), 1500);
      return;
    }
    upstream.received = 0;
    req.on('data', (part: Buffer) => { upstream.received += part.length; });
    req.on('end', () => res.end(`${name} ${upstream.received}`));
  });
  await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
  upstream.port = (upstream.server.address() as AddressInfo).port;
  return upstream;
}

const missing = nginxMissing();
if (missing) console.warn(`skipping the load balancer tests: ${missing}`);

describe.skipIf(missing)('nginx load balancer on loopback', () => {
  let a: Upstream;
  let b: Upstream;
  let lb: LoadBalancer;
  beforeAll(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    lb = await startLoadBalancer({ upstreams: [a.port, b.port], readTimeoutSeconds: 5 });
  });
  afterAll(async () => {
    await lb?.stop();
    for (const u of [a, b]) u?.server.closeAllConnections();
    await Promise.all([a, b].map((u) => u && new Promise((resolve) => u.server.close(resolve))));
  });

  it('alternates between the upstreams and logs which one answered', async () => {
    const names = await Promise.all(Array.from({ length: 6 }, () => fetch(`${lb.url}/who`).then((r) => r.text())));
    expect(names.filter((n) => n.startsWith('a')).length).toBe(3);
    expect(names.filter((n) => n.startsWith('b')).length).toBe(3);
    const served = new Set(lb.accessLog().filter((line) => line.uri === '/who').map((line) => line.upstream));
    expect(served).toEqual(new Set([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]));
  });

  it('streams a request body to the service while the client is still sending it, with no size limit', async () => {
    const piece = Buffer.alloc(1024 * 1024, 7);
    const pieces = 80;
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request(`${lb.url}/upload`, { method: 'PUT', headers: { 'content-length': String(piece.length * pieces) } }, (res) => {
        let text = '';
        res.on('data', (part: Buffer) => { text += part.toString(); });
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      });
      req.on('error', reject);
      let sent = 0;
      const sendNext = (): void => {
        if (sent === pieces) return void req.end();
        req.write(piece);
        sent++;
        // The next megabyte goes only once the upstream has the previous one:
        // a balancer that buffered the body first would never answer.
        const waitForUpstream = (): void => {
          if (Math.max(a.received, b.received) >= sent * piece.length - 64 * 1024) sendNext();
          else setTimeout(waitForUpstream, 2);
        };
        waitForUpstream();
      };
      sendNext();
    });
    expect(answer).toMatch(new RegExp(`^200 [ab] ${piece.length * pieces}$`));
  }, 30_000);

  it('holds a slow answer open (long-poll) and skips an upstream that refuses connections', async () => {
    expect(['a', 'b']).toContain(await fetch(`${lb.url}/slow`).then((r) => r.text()));
    b.server.closeAllConnections();
    await new Promise((resolve) => b.server.close(resolve));
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${lb.url}/who`).then(async (r) => `${r.status} ${await r.text()}`)));
    expect(answers.every((line) => /^200 a /.test(line))).toBe(true);
  });
});
