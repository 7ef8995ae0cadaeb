import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { changesResponse, listResponse } from '../../protocol/api.js';
import { hashBytes } from '../../protocol/contentHash.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { JSON_BODY_LIMIT } from './routes.js';

/** A raw TCP client: what a hostile or broken client sends, byte by byte, and what comes back. */
interface RawClient {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with everything received once the service closes the connection. */
  closed: Promise<string>;
}

function rawClient(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve({ socket, received: () => text, closed }));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => { text += data; });
    // A reset counts as closed too: what matters is that the service let go.
    const closed = new Promise<string>((done) => socket.on('close', () => done(text)));
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `client` has received `pattern`; the test's own timeout bounds the wait. */
async function waitFor(client: RawClient, pattern: RegExp): Promise<string> {
  while (!pattern.test(client.received())) await sleep(20);
  return client.received();
}

describe('authentication before the body, and body limits', () => {
  let server: TestServer;
  let alice: SignedUpUser;
  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server.api);
  });
  afterAll(async () => { await server.close(); });

  test('a request without a token announcing a 10 MiB JSON body is refused with 401 before the body is sent, and closed', async () => {
    const client = await rawClient(server.url);
    client.socket.write([
      'POST /api/v1/files/mkdir HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json',
      `Content-Length: ${10 * 1024 * 1024}`, '', '{"path":"/x","pad":"',
    ].join('\r\n'));
    // Only 20 bytes of the body were sent: an answer now means the body was never waited for.
    const answer = await waitFor(client, /\r\n\r\n\{.*\}/s);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/"code":"unauthorized"/);
    expect(answer.toLowerCase()).toContain('connection: close');
    await client.closed;
  });

  test('a request with a bad token is refused before its body too', async () => {
    const client = await rawClient(server.url);
    client.socket.write([
      'POST /api/v1/uploads/batch HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer not.a.token', 'Content-Type: application/json',
      `Content-Length: ${15 * 1024 * 1024}`, '', '{"files":[',
    ].join('\r\n'));
    expect(await waitFor(client, /\r\n\r\n\{.*\}/s)).toMatch(/^HTTP\/1\.1 401 /);
    await client.closed;
  });

  test('a JSON body over 1 MiB on an ordinary route is 413 payload_too_large, unread, and nothing changes', async () => {
    const body = { path: '/big', pad: 'x'.repeat(JSON_BODY_LIMIT) };
    const answer = await jsonRequest(server.api, 'POST', '/files/mkdir', { body, headers: alice.auth });
    expect(answer.status).toBe(413);
    expect(errorCodeOf(answer)).toBe('payload_too_large');
    expect(listResponse.parse((await jsonRequest(server.api, 'GET', '/files?path=/', { headers: alice.auth })).body).entries).toEqual([]);
  });

  test('the batch upload route takes a body over 1 MiB (its own limit is 16 MiB)', async () => {
    const content = Buffer.alloc(900 * 1024, 7);
    const files = ['/b1', '/b2'].map((path) => ({
      path, contentHash: hashBytes(content).contentHash, mtime: 1, contentBase64: content.toString('base64'),
    }));
    const answer = await jsonRequest(server.api, 'POST', '/uploads/batch', { body: { files }, headers: alice.auth });
    expect(answer.status).toBe(200);
    const over = await fetch(`${server.api}/uploads/batch`, {
      method: 'POST', headers: { ...alice.auth, 'content-type': 'application/json' }, body: `{"files":[],"pad":"${'x'.repeat(16 * 1024 * 1024)}"}`,
    });
    expect(over.status).toBe(413);
  });
});

describe('request timeouts', () => {
  let server: TestServer;
  let bob: SignedUpUser;
  beforeAll(async () => {
    server = await startTestServer((config) => { config.timeouts = { requestSeconds: 1, headersSeconds: 1 }; });
    bob = await signUp(server.api);
  });
  afterAll(async () => { await server.close(); });

  test('a body trickled slower than the request timeout is ended with 408 and the connection closed', async () => {
    const client = await rawClient(server.url);
    client.socket.write([
      'POST /api/v1/files/mkdir HTTP/1.1', 'Host: 127.0.0.1', `Authorization: ${bob.auth.authorization}`,
      'Content-Type: application/json', 'Content-Length: 1000', '', '{',
    ].join('\r\n'));
    const trickle = setInterval(() => { if (!client.socket.destroyed) client.socket.write(' '); }, 100);
    try {
      const answer = await client.closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
  });

  test('headers trickled slower than the headers timeout: the connection is closed', async () => {
    const client = await rawClient(server.url);
    client.socket.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const trickle = setInterval(() => { if (!client.socket.destroyed) client.socket.write('X-Slow: 1\r\n'); }, 100);
    try {
      expect(await client.closed).not.toMatch(/ 200 /);
    } finally {
      clearInterval(trickle);
    }
  });

  test('a long-poll longer than the request timeout is still answered: the limit covers receiving the request only', async () => {
    const answer = await jsonRequest(server.api, 'GET', '/changes?cursor=0&wait=3', { headers: bob.auth });
    expect(answer.status).toBe(200);
    expect(changesResponse.parse(answer.body).changes).toEqual([]);
  });
});

describe('a token that merely expired mid-upload', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer((config) => { config.jwt.accessTtlSeconds = 1; });
  });
  afterAll(async () => { await server.close(); });

  test('gets its 401 after the body is read and discarded, and keeps the connection for the retry', async () => {
    const bob = await signUp(server.api);
    await sleep(2100);
    const client = await rawClient(server.url);
    const body = 'x'.repeat(64 * 1024);
    client.socket.write([
      'PUT /api/v1/uploads/some-upload/chunks/0 HTTP/1.1', 'Host: 127.0.0.1', `Authorization: ${bob.auth.authorization}`,
      'Content-Type: application/octet-stream', `Content-Length: ${body.length}`, '', body,
    ].join('\r\n'));
    const answer = await waitFor(client, /\r\n\r\n\{.*\}/s);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/"code":"token_expired"/);
    expect(answer.toLowerCase()).not.toContain('connection: close');
    // The same connection answers the next request: the client can refresh and retry without a broken pipe.
    client.socket.write(['GET /api/v1/health HTTP/1.1', 'Host: 127.0.0.1', '', ''].join('\r\n'));
    expect(await waitFor(client, /HTTP\/1\.1 200 [\s\S]*"status":"ok"/)).toMatch(/token_expired/);
    client.socket.destroy();
  });
});
