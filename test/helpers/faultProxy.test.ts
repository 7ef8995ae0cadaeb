import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './faultProxy.js';

let upstream: Server;
let upstreamUrl: string;
let proxy: FaultProxy;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => { n += c.length; });
    req.on('end', () => res.end(`received ${n} ${'x'.repeat(1000)}`));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = await startFaultProxy(upstreamUrl);
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => upstream.close(r));
});

describe('fault proxy', () => {
  it('passes requests through', async () => {
    proxy.setPlan(() => ({ kind: 'pass' }));
    const res = await fetch(proxy.url, { method: 'POST', body: 'hello' });
    expect((await res.text()).startsWith('received 5 ')).toBe(true);
  });

  it('counts the body bytes it forwards each way', async () => {
    proxy.setPlan(() => ({ kind: 'pass' }));
    const res = await fetch(proxy.url, { method: 'POST', body: 'y'.repeat(12_345) });
    const text = await res.text();
    const record = proxy.seen.at(-1)!;
    expect(record).toMatchObject({ requestBytes: 12_345, responseBytes: text.length, status: 200, answered: true });
  });

  it('answers 503', async () => {
    proxy.setPlan(() => ({ kind: 'unavailable' }));
    expect((await fetch(proxy.url)).status).toBe(503);
  });

  it('resets, truncates and cuts', async () => {
    proxy.setPlan(() => ({ kind: 'reset' }));
    await expect(fetch(proxy.url)).rejects.toThrow();
    proxy.setPlan(() => ({ kind: 'truncateResponse', afterBytes: 10 }));
    await expect(fetch(proxy.url).then((r) => r.text())).rejects.toThrow();
    proxy.setPlan(() => ({ kind: 'cutRequest', afterBytes: 3 }));
    await expect(fetch(proxy.url, { method: 'POST', body: 'x'.repeat(100_000) })).rejects.toThrow();
    expect(proxy.seen.slice(-3).map((s) => s.fault)).toEqual(['reset', 'truncateResponse', 'cutRequest']);
  });

  it('stalls until aborted', async () => {
    proxy.setPlan(() => ({ kind: 'stall' }));
    await expect(fetch(proxy.url, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
  });
});
