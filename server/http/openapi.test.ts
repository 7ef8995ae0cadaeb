import { randomBytes } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import ajvDraft04 from 'ajv-draft-04';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, createUploadResponse, entryResponse, tokenPairResponse, trashListResponse } from '../../protocol/api.js';
import { hashBytes } from '../../protocol/contentHash.js';
import { SHARE_TOKEN_HEADER, shareResponse, unlockShareResponse } from '../../protocol/shares.js';
import { versionsResponse } from '../../protocol/versions.js';
import { signUp, TEST_PASSWORD, uniqueUsername, type SignedUpUser } from '../../test/helpers/accounts.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { uploadRequest } from '../../test/helpers/uploads.js';

/**
 * The OpenAPI document the service publishes, checked two ways: the whole
 * document with a real OpenAPI 3 validator (swagger-parser), and every
 * documented operation driven against the real service, each answer checked
 * against the schema documented for its status (ajv's draft-04 flavour,
 * which swagger-parser brings), so the document cannot drift from what the routes send.
 */

type Json = Record<string, unknown>;
interface ResponseSpec { description: string; content?: Record<string, { schema: Json }> }
interface Operation { responses: Record<string, ResponseSpec> }
type Document = { paths: Record<string, Record<string, Operation>> };

let server: TestServer;
let document: Document;
let alice: SignedUpUser;
/** `METHOD /template` of every operation some answer was checked for. */
const exercised = new Set<string>();
// OpenAPI 3.0 schemas are JSON Schema draft 4 (boolean exclusiveMinimum) plus `nullable`, which ajv knows.
// A CommonJS module: under NodeNext its class is the default export's `default`.
const ajv = new ajvDraft04.default({ strict: false, allErrors: true, validateFormats: false });

beforeAll(async () => {
  server = await startTestServer((config) => {
    // A provider so the authorize route answers its redirect; nothing here contacts it.
    config.oauth.qq = { appId: 'app', appKey: 'key', baseUrl: 'http://127.0.0.1:9', unionid: false };
  });
  document = await (await fetch(`${server.api}/openapi.json`)).json() as Document;
  alice = await signUp(server.api, uniqueUsername('openapi'));
});

afterAll(async () => {
  await server?.close();
});

/** The documented operation a concrete path (below /api/v1) and method fall under. */
function operationFor(method: string, path: string): { key: string; operation: Operation } {
  const pathname = `${API_PREFIX}${path.split('?')[0]}`;
  for (const [template, operations] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const operation = operations[method.toLowerCase()];
    if (operation && pattern.test(pathname)) return { key: `${method} ${template}`, operation };
  }
  throw new Error(`${method} ${pathname} is not in the OpenAPI document`);
}

/**
 * Sends one request to the real service and checks the answer against the
 * document: a documented status (or `default` for a refusal), and a body of
 * the documented media type that the documented schema accepts.
 */
async function call(method: string, path: string, options: { body?: unknown; raw?: Uint8Array; auth?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; json: unknown; bytes: Buffer }> {
  const headers: Record<string, string> = { ...(options.auth === false ? {} : alice.auth), ...options.headers };
  let body: string | Uint8Array | undefined;
  if (options.raw) {
    headers['content-type'] = 'application/octet-stream';
    body = options.raw;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${server.api}${path}`, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
  const bytes = Buffer.from(await response.arrayBuffer());
  const { key, operation } = operationFor(method, path);
  exercised.add(key);
  const what = `${key} answered ${response.status}: ${bytes.toString().slice(0, 300)}`;
  const documented = operation.responses[String(response.status)];
  if (!documented) expect(response.status, `${what} (an undocumented success)`).toBeGreaterThanOrEqual(400);
  const spec = documented ?? operation.responses.default!;
  const mediaTypes = Object.keys(spec.content ?? {});
  if (method === 'HEAD' || mediaTypes.length === 0) {
    expect(bytes.length, what).toBe(0);
    return { status: response.status, json: undefined, bytes };
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!;
  expect(mediaTypes, what).toContain(contentType);
  if (contentType !== 'application/json') return { status: response.status, json: undefined, bytes };
  const json: unknown = JSON.parse(bytes.toString());
  const validate = ajv.compile(spec.content!['application/json']!.schema);
  expect(validate(json) ? [] : validate.errors, what).toEqual([]);
  return { status: response.status, json, bytes };
}

describe('GET /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3 document', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('documents the download body as binary for 200 and 206', () => {
    const download = document.paths[`${API_PREFIX}/files/content`]!.get!;
    for (const status of ['200', '206']) {
      expect(download.responses[status]!.content).toEqual({ 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } });
    }
  });

  it('matches the real answers of every route', async () => {
    const bytes = randomBytes(5000);
    await call('GET', '/health', { auth: false });
    const other = uniqueUsername('openapi-b');
    expect((await call('POST', '/auth/register', { auth: false, body: { username: other, password: TEST_PASSWORD } })).status).toBe(201);
    await call('POST', '/auth/register', { auth: false, body: { username: other, password: TEST_PASSWORD } });
    const pair = tokenPairResponse.parse((await call('POST', '/auth/login', { auth: false, body: { username: other, password: TEST_PASSWORD, deviceName: 'doc' } })).json);
    await call('POST', '/auth/login', { auth: false, body: { username: other, password: 'wrong password' } });
    const refreshed = tokenPairResponse.parse((await call('POST', '/auth/refresh', { auth: false, body: { refreshToken: pair.refreshToken } })).json);
    await call('GET', '/me');
    await call('GET', '/me', { auth: false });
    await call('GET', '/auth/sessions');
    await call('DELETE', '/auth/sessions/no-such-session');
    await call('POST', '/auth/logout', { auth: false, body: { refreshToken: refreshed.refreshToken } });
    const challenge = 'A'.repeat(43);
    await call('GET', `/auth/oauth/qq/authorize?redirect_uri=${encodeURIComponent('http://127.0.0.1:1/callback')}&state=s&code_challenge=${challenge}&code_challenge_method=S256`, { auth: false });
    await call('GET', '/auth/oauth/nobody/authorize?redirect_uri=x&state=s', { auth: false });
    await call('GET', '/auth/oauth/qq/callback?state=unknown&code=c', { auth: false });
    await call('POST', '/auth/token', { auth: false, body: { grant_type: 'authorization_code', code: 'unknown', code_verifier: 'v'.repeat(43), redirect_uri: 'http://127.0.0.1:1/callback' } });
    await call('POST', '/auth/oauth/qq/link-intent');
    await call('GET', '/auth/providers');
    await call('DELETE', '/auth/providers/qq');

    await call('POST', '/files/mkdir', { body: { path: '/docs' } });
    await call('POST', '/files/mkdir', { body: { path: '/docs' } });
    await call('POST', '/files/mkdir', { body: { path: '/a/../b' } });
    await call('GET', '/files?path=/');
    await call('GET', '/files/meta?path=/docs');
    await call('GET', '/files/meta?path=/missing');

    const created = createUploadResponse.parse((await call('POST', '/uploads', { body: uploadRequest('/docs/a.bin', bytes) })).json);
    if (created.status !== 'upload') throw new Error(`expected an upload session, got ${created.status}`);
    await call('GET', `/uploads/${created.uploadId}`);
    await call('PUT', `/uploads/${created.uploadId}/chunks/0`, { raw: bytes });
    await call('PUT', `/uploads/${created.uploadId}/chunks/7`, { raw: bytes });
    const file = entryResponse.parse((await call('POST', `/uploads/${created.uploadId}/complete`)).json).entry;
    await call('POST', '/uploads', { body: uploadRequest('/docs/again.bin', bytes) });
    const abandoned = createUploadResponse.parse((await call('POST', '/uploads', { body: uploadRequest('/docs/c.bin', randomBytes(100)) })).json);
    if (abandoned.status === 'upload') await call('DELETE', `/uploads/${abandoned.uploadId}`);
    const small = Buffer.from('small');
    await call('POST', '/uploads/batch', { body: { files: [{ path: '/docs/s.txt', contentHash: hashBytes(small).contentHash, mtime: 1, contentBase64: small.toString('base64') }] } });
    const manifest = { files: [{ path: '/docs/r.txt', contentHash: hashBytes(small).contentHash, mtime: 1, size: small.length }] };
    await call('POST', '/uploads/batch/binary', { raw: Buffer.concat([Buffer.from(`${JSON.stringify(manifest)}\n`), small]) });
    await call('POST', '/uploads/batch/binary', { raw: small });

    const small2 = Buffer.from('small, edited');
    await call('POST', '/uploads/batch', { body: { files: [{ path: '/docs/s.txt', contentHash: hashBytes(small2).contentHash, mtime: 2, contentBase64: small2.toString('base64') }] } });
    const history = versionsResponse.parse((await call('GET', '/files/versions?path=/docs/s.txt')).json);
    await call('GET', '/files/versions?path=/docs');
    await call('POST', '/files/versions/restore', { body: { path: '/docs/s.txt', versionId: history.versions[1]!.versionId, ifRev: history.entry.rev } });
    await call('POST', '/files/versions/restore', { body: { path: '/docs/s.txt', versionId: '0'.repeat(32) } });

    await call('GET', '/files/content?path=/docs/a.bin');
    await call('GET', '/files/content?path=/docs/a.bin', { headers: { range: 'bytes=0-99' } });
    await call('GET', '/files/content?path=/docs/a.bin', { headers: { 'if-none-match': `"${file.contentHash}"` } });
    await call('GET', '/files/content?path=/docs/a.bin', { headers: { range: 'bytes=9000-9999' } });
    await call('HEAD', '/files/content?path=/docs/a.bin');

    await call('POST', '/files/move', { body: { from: '/docs/a.bin', to: '/moved.bin', ifRev: file.rev } });
    await call('POST', '/files/move', { body: { from: '/moved.bin', to: '/x.bin', ifRev: 'stale' } });
    await call('POST', '/files/delete', { body: { path: '/moved.bin' } });
    const trash = trashListResponse.parse((await call('GET', '/trash')).json);
    await call('POST', '/trash/restore', { body: { trashId: trash.items[0]!.trashId } });
    await call('GET', '/changes/latest');
    await call('GET', '/changes?cursor=0');

    const shared = shareResponse.parse((await call('POST', '/shares', { body: { path: '/docs', code: 'ab12' } })).json).share;
    await call('POST', '/shares', { body: { path: '/missing' } });
    await call('GET', '/shares');
    await call('GET', `/s/${shared.id}`, { auth: false });
    await call('GET', '/s/AAAAAAAAAAAAAAAAAAAAAA', { auth: false });
    await call('POST', `/s/${shared.id}/unlock`, { auth: false, body: { code: 'zz99' } });
    const { token } = unlockShareResponse.parse((await call('POST', `/s/${shared.id}/unlock`, { auth: false, body: { code: 'ab12' } })).json);
    const unlocked = { auth: false, headers: { [SHARE_TOKEN_HEADER]: token } };
    await call('GET', `/s/${shared.id}/entries?path=/`, unlocked);
    await call('GET', `/s/${shared.id}/entries?path=/`, { auth: false });
    await call('GET', `/s/${shared.id}/content?path=/s.txt`, unlocked);
    await call('GET', `/s/${shared.id}/content?path=/`, unlocked);
    await call('HEAD', `/s/${shared.id}/content?path=/s.txt`, unlocked);
    await call('DELETE', `/shares/${shared.id}`);
    await call('GET', `/s/${shared.id}`, { auth: false });

    const documented = Object.entries(document.paths).flatMap(([template, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${template}`));
    expect([...exercised].sort()).toEqual(documented.sort());
  }, 60_000);
});
