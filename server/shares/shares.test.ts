import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { entryResponse } from '../../protocol/api.js';
import { publicShareResponse, SHARE_TOKEN_HEADER, sharedListResponse, shareResponse, sharesResponse, unlockShareResponse, type Share } from '../../protocol/shares.js';
import { signUp, type SignedUpUser } from '../../test/helpers/accounts.js';
import { errorCodeOf, jsonRequest, type JsonResponse } from '../../test/helpers/jsonRequest.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { uploadFile } from '../../test/helpers/uploads.js';
import { SHARE_PAGE_CSP } from './page.js';

let server: TestServer;
let alice: SignedUpUser;
let bob: SignedUpUser;
let now = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  server = await startTestServer(() => {}, { now: () => now });
  [alice, bob] = await Promise.all([signUp(server.api), signUp(server.api)]);
});
afterAll(async () => server.close());

const bytesOf = (text: string) => new TextEncoder().encode(text);
let fileCount = 0;

/** A fresh file of Alice's with `text` in it. */
async function aliceFile(text: string, path = `/file-${++fileCount}.txt`) {
  return uploadFile(server.api, alice.auth, path, bytesOf(text));
}

async function createShare(user: SignedUpUser, body: Record<string, unknown>): Promise<Share> {
  const response = await jsonRequest(server.api, 'POST', '/shares', { headers: user.auth, body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return shareResponse.parse(response.body).share;
}

/**
 * A loopback address of its own (all of 127/8 reaches the service), so wrong
 * codes of one test do not count against another's address.
 */
let addressCount = 1;
const freshAddress = () => `127.0.0.${++addressCount}`;

/** `POST /s/:id/unlock` from the client address `from`. */
function unlock(id: string, code: string | undefined, from = '127.0.0.1'): Promise<JsonResponse> {
  return unlockBody(id, JSON.stringify(code === undefined ? {} : { code }), from);
}

/** `POST /s/:id/unlock` with `body` sent as it is (JSON or not). */
async function unlockBody(id: string, body: string, from: string): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${server.api}/s/${id}/unlock`, {
      method: 'POST', localAddress: from, headers: { 'content-type': 'application/json' },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
        resolve({ status: response.statusCode ?? 0, headers, body: JSON.parse(text) });
      });
    });
    request.on('error', reject).end(body);
  });
}

async function tokenFor(share: Share): Promise<string> {
  const response = await unlock(share.id, share.code ?? undefined);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return unlockShareResponse.parse(response.body).token;
}

async function sharedBytes(id: string, token: string | undefined, path = '/', headers: Record<string, string> = {}) {
  const response = await fetch(`${server.api}/s/${id}/content?path=${encodeURIComponent(path)}`, {
    headers: { ...(token ? { [SHARE_TOKEN_HEADER]: token } : {}), ...headers },
  });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

const codeOfBytes = (answer: { bytes: Buffer }) => (JSON.parse(answer.bytes.toString('utf8')) as { error: { code: string } }).error.code;

describe('owner routes', () => {
  test('create with a generated code, list, revoke; a revoked link says so', async () => {
    const file = await aliceFile('hello share');
    const share = await createShare(alice, { path: file.path });
    expect(share.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(share.code).toMatch(/^[a-z0-9]{4}$/);
    expect(share).toMatchObject({ path: file.path, name: file.name, kind: 'file', state: 'active', downloads: 0, expiresAt: null, maxDownloads: null });
    expect(share.url).toBe(`${server.url}/s/${share.id}`);

    const listed = sharesResponse.parse((await jsonRequest(server.api, 'GET', '/shares', { headers: alice.auth })).body).shares;
    expect(listed.map((s) => s.id)).toContain(share.id);

    const revoked = await jsonRequest(server.api, 'DELETE', `/shares/${share.id}`, { headers: alice.auth });
    expect(shareResponse.parse(revoked.body).share.state).toBe('revoked');
    const opened = await jsonRequest(server.api, 'GET', `/s/${share.id}`);
    expect([opened.status, errorCodeOf(opened)]).toEqual([410, 'share_revoked']);
  });

  test('a chosen code, or none; an unknown path is refused', async () => {
    const file = await aliceFile('chosen');
    expect((await createShare(alice, { path: file.path, code: 'AbC9' })).code).toBe('abc9');
    const open = await createShare(alice, { path: file.path, code: null });
    expect(open.code).toBeNull();
    expect(publicShareResponse.parse((await jsonRequest(server.api, 'GET', `/s/${open.id}`)).body).needsCode).toBe(false);
    expect((await sharedBytes(open.id, undefined)).bytes.toString()).toBe('chosen');

    const bad = await jsonRequest(server.api, 'POST', '/shares', { headers: alice.auth, body: { path: file.path, code: 'toolong' } });
    expect(errorCodeOf(bad)).toBe('invalid_request');
    const missing = await jsonRequest(server.api, 'POST', '/shares', { headers: alice.auth, body: { path: '/nope.txt' } });
    expect(errorCodeOf(missing)).toBe('not_found');
    const anonymous = await jsonRequest(server.api, 'POST', '/shares', { body: { path: file.path } });
    expect(errorCodeOf(anonymous)).toBe('unauthorized');
  });

  test('another user can neither list nor revoke someone else\'s links, nor share their files', async () => {
    const file = await aliceFile('private');
    const share = await createShare(alice, { path: file.path });
    const bobsList = sharesResponse.parse((await jsonRequest(server.api, 'GET', '/shares', { headers: bob.auth })).body).shares;
    expect(bobsList.map((s) => s.id)).not.toContain(share.id);
    const revoke = await jsonRequest(server.api, 'DELETE', `/shares/${share.id}`, { headers: bob.auth });
    expect([revoke.status, errorCodeOf(revoke)]).toEqual([404, 'share_not_found']);
    expect(publicShareResponse.safeParse((await jsonRequest(server.api, 'GET', `/s/${share.id}`)).body).success).toBe(true);
    const bobShares = await jsonRequest(server.api, 'POST', '/shares', { headers: bob.auth, body: { path: file.path } });
    expect(errorCodeOf(bobShares)).toBe('not_found');
  });
});

describe('hostile and mistaken input', () => {
  test('every path, code, expiry and limit of a new link is checked: a stable code, and no link made', async () => {
    const file = await aliceFile('guarded');
    const linksBefore = sharesResponse.parse((await jsonRequest(server.api, 'GET', '/shares', { headers: alice.auth })).body).shares.length;
    const create = (body: unknown) => jsonRequest(server.api, 'POST', '/shares', { headers: alice.auth, body });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ path: '/a/../etc' }, 'invalid_path'],
      [{ path: '/' }, 'invalid_path'],
      [{ path: 'relative.txt' }, 'invalid_path'],
      [{ path: `${file.path}\u0000` }, 'invalid_path'],
      [{ path: `/${'x'.repeat(300)}` }, 'invalid_path'],
      [{ path: 42 }, 'invalid_request'],
      [{}, 'invalid_request'],
      [{ path: file.path, code: 'abc' }, 'invalid_request'],
      [{ path: file.path, code: 'ab c' }, 'invalid_request'],
      // Full-width digits look like a code, and are not one.
      [{ path: file.path, code: '１２３４' }, 'invalid_request'],
      [{ path: file.path, code: 1234 }, 'invalid_request'],
      [{ path: file.path, expiresInSeconds: 0 }, 'invalid_request'],
      [{ path: file.path, expiresInSeconds: -60 }, 'invalid_request'],
      [{ path: file.path, expiresInSeconds: 1.5 }, 'invalid_request'],
      [{ path: file.path, expiresInSeconds: 366 * 86_400 }, 'invalid_request'],
      [{ path: file.path, expiresInSeconds: '7d' }, 'invalid_request'],
      [{ path: file.path, maxDownloads: 0 }, 'invalid_request'],
      [{ path: file.path, maxDownloads: -1 }, 'invalid_request'],
      [{ path: file.path, maxDownloads: 2.5 }, 'invalid_request'],
      [{ path: file.path, maxDownloads: 1_000_001 }, 'invalid_request'],
      [{ path: file.path, maxDownloads: '5' }, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const refused = await create(body);
      expect([refused.status, errorCodeOf(refused)], JSON.stringify(body)).toEqual([400, code]);
    }
    const notJson = await fetch(`${server.api}/shares`, { method: 'POST', headers: { ...alice.auth, 'content-type': 'application/json' }, body: '{"path":' });
    expect(notJson.status).toBe(400);
    const after = sharesResponse.parse((await jsonRequest(server.api, 'GET', '/shares', { headers: alice.auth })).body).shares.length;
    expect(after).toBe(linksBefore);
  });

  test('malformed link ids, codes and paths inside a share are refused before anything is looked up', async () => {
    for (const path of ['/album-h', '/album-h/sub']) await jsonRequest(server.api, 'POST', '/files/mkdir', { headers: alice.auth, body: { path } });
    const share = await createShare(alice, { path: '/album-h', code: 'h0st' });
    const token = await tokenFor(share);
    for (const id of ['short', `${'A'.repeat(21)}%2F`, `${'A'.repeat(21)}.`, 'A'.repeat(23)]) {
      const revoke = await jsonRequest(server.api, 'DELETE', `/shares/${id}`, { headers: alice.auth });
      expect([revoke.status, errorCodeOf(revoke)], id).toEqual([400, 'invalid_request']);
      expect(errorCodeOf(await jsonRequest(server.api, 'POST', `/s/${id}/unlock`, { body: { code: 'h0st' } })), id).toBe('invalid_request');
    }
    expect(errorCodeOf(await jsonRequest(server.api, 'DELETE', `/shares/${'Z'.repeat(22)}`, { headers: alice.auth }))).toBe('share_not_found');

    const address = freshAddress();
    for (const body of [{ code: 'x'.repeat(65) }, { code: 1234 }, { code: ['h0st'] }]) {
      const refused = await unlockBody(share.id, JSON.stringify(body), address);
      expect([refused.status, errorCodeOf(refused)], JSON.stringify(body)).toEqual([400, 'invalid_request']);
    }
    expect((await unlockBody(share.id, '{"code":', address)).status).toBe(400);
    // None of those counted as a guess: the right code still opens at once from that address.
    expect((await unlock(share.id, 'h0st', address)).status).toBe(200);

    const list = (query: string) => jsonRequest(server.api, 'GET', `/s/${share.id}/entries${query}`, { headers: { [SHARE_TOKEN_HEADER]: token } });
    for (const [query, code] of [
      ['?path=%2Fsub%00', 'invalid_path'], ['?path=sub', 'invalid_path'], ['?path=%2F..%2F..', 'invalid_path'],
      ['?path=%2Fsub&path=%2F', 'invalid_request'],
    ] as const) {
      expect(errorCodeOf(await list(query)), query).toBe(code);
    }
    expect(errorCodeOf(await list('?path=%2Fnope'))).toBe('not_found');
    expect((await list('?path=%2Fsub')).status).toBe(200);
  });

  test('the share page refuses an oversized form and a malformed code without unlocking', async () => {
    const share = await createShare(alice, { path: (await aliceFile('page guarded')).path, code: 'pg99' });
    const post = (body: string) => fetch(`${server.url}/s/${share.id}`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' }, body,
    });
    const huge = await post(`code=${'a'.repeat(5000)}`);
    expect(huge.status).toBe(413);
    expect(huge.headers.get('set-cookie')).toBeNull();
    for (const body of ['code=%00%00%00%00', 'code=pg9', `code=${encodeURIComponent('ｐｇ９９')}`, 'nocode=1']) {
      const refused = await post(body);
      expect(refused.status, body).toBe(403);
      expect(refused.headers.get('set-cookie'), body).toBeNull();
      expect(await refused.text(), body).toContain('Wrong extraction code');
    }
  });
});

describe('extraction code', () => {
  test('a wrong code is refused, the right one (any case) unlocks; no token, no bytes', async () => {
    const file = await aliceFile('code protected');
    const share = await createShare(alice, { path: file.path, code: 'k3y5' });
    const wrong = await unlock(share.id, 'k3y6', freshAddress());
    expect([wrong.status, errorCodeOf(wrong)]).toEqual([403, 'share_code_invalid']);
    expect(errorCodeOf(await unlock(share.id, undefined, freshAddress()))).toBe('share_code_invalid');

    const locked = await sharedBytes(share.id, undefined);
    expect([locked.status, codeOfBytes(locked)]).toEqual([401, 'share_locked']);
    expect(codeOfBytes(await sharedBytes(share.id, 'forged.token'))).toBe('share_locked');

    const right = await unlock(share.id, 'K3Y5', freshAddress());
    const unlocked = unlockShareResponse.parse(right.body);
    expect(unlocked).toMatchObject({ name: file.name, kind: 'file', size: file.size });
    expect((await sharedBytes(share.id, unlocked.token)).bytes.toString()).toBe('code protected');

    // A token is for its own link only.
    const other = await createShare(alice, { path: file.path, code: 'k3y5' });
    expect(codeOfBytes(await sharedBytes(other.id, unlocked.token))).toBe('share_locked');
  });

  test('wrong codes are throttled per link: after 10, even the right one waits', async () => {
    const share = await createShare(alice, { path: (await aliceFile('guess me')).path, code: 'zzzz' });
    for (let i = 0; i < 10; i++) expect(errorCodeOf(await unlock(share.id, 'aaaa', freshAddress()))).toBe('share_code_invalid');
    const throttled = await unlock(share.id, 'zzzz', freshAddress());
    expect([throttled.status, errorCodeOf(throttled)]).toEqual([429, 'rate_limited']);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    now += 16 * 60 * 1000;
    expect((await unlock(share.id, 'zzzz', freshAddress())).status).toBe(200);
  });

  test('wrong codes are throttled per address across links', async () => {
    const file = await aliceFile('many links');
    const address = freshAddress();
    const shares = await Promise.all([1, 2, 3, 4].map(() => createShare(alice, { path: file.path, code: 'good' })));
    for (const share of shares.slice(0, 3)) {
      for (let i = 0; i < 10; i++) await unlock(share.id, 'nope', address);
    }
    expect(errorCodeOf(await unlock(shares[3]!.id, 'good', address))).toBe('rate_limited');
    expect((await unlock(shares[3]!.id, 'good', freshAddress())).status).toBe(200);
    now += 16 * 60 * 1000;
  });
});

describe('limits', () => {
  test('a link expires, and so does a token', async () => {
    const file = await aliceFile('short lived');
    const share = await createShare(alice, { path: file.path, expiresInSeconds: 3600 });
    expect(share.expiresAt).toBe(now + 3_600_000);
    const token = await tokenFor(share);
    now += 31 * 60 * 1000;
    expect(codeOfBytes(await sharedBytes(share.id, token))).toBe('share_locked');
    const fresh = await tokenFor(share);
    now += 30 * 60 * 1000;
    const expired = await sharedBytes(share.id, fresh);
    expect([expired.status, codeOfBytes(expired)]).toEqual([410, 'share_expired']);
    expect(errorCodeOf(await jsonRequest(server.api, 'GET', `/s/${share.id}`))).toBe('share_expired');
    const listed = sharesResponse.parse((await jsonRequest(server.api, 'GET', '/shares', { headers: alice.auth })).body).shares;
    expect(listed.find((s) => s.id === share.id)?.state).toBe('expired');
  });

  test('a download limit counts each download; HEAD is free', async () => {
    const share = await createShare(alice, { path: (await aliceFile('twice only')).path, maxDownloads: 2 });
    const token = await tokenFor(share);
    expect((await fetch(`${server.api}/s/${share.id}/content`, { method: 'HEAD', headers: { [SHARE_TOKEN_HEADER]: token } })).status).toBe(200);
    expect((await sharedBytes(share.id, token)).bytes.toString()).toBe('twice only');
    expect((await sharedBytes(share.id, token)).status).toBe(200);
    const third = await sharedBytes(share.id, token);
    expect([third.status, codeOfBytes(third)]).toEqual([410, 'share_exhausted']);
    expect(errorCodeOf(await unlock(share.id, share.code ?? undefined))).toBe('share_exhausted');
    const listed = sharesResponse.parse((await jsonRequest(server.api, 'GET', '/shares', { headers: alice.auth })).body).shares;
    expect(listed.find((s) => s.id === share.id)).toMatchObject({ downloads: 2, state: 'exhausted' });
  });

  test('a link follows a move and says so once its entry is deleted', async () => {
    const file = await aliceFile('moving target', '/to-move.txt');
    const share = await createShare(alice, { path: file.path });
    const moved = await jsonRequest(server.api, 'POST', '/files/move', { headers: alice.auth, body: { from: '/to-move.txt', to: '/moved.txt' } });
    expect(entryResponse.parse(moved.body).entry.id).toBe(file.id);
    const token = await tokenFor(share);
    expect((await sharedBytes(share.id, token)).bytes.toString()).toBe('moving target');

    await jsonRequest(server.api, 'POST', '/files/delete', { headers: alice.auth, body: { path: '/moved.txt' } });
    const gone = await sharedBytes(share.id, token);
    expect([gone.status, codeOfBytes(gone)]).toEqual([410, 'share_entry_deleted']);
    const listed = sharesResponse.parse((await jsonRequest(server.api, 'GET', '/shares', { headers: alice.auth })).body).shares;
    expect(listed.find((s) => s.id === share.id)).toMatchObject({ path: null, name: 'to-move.txt', state: 'entry_deleted' });
  });

  test('an unknown or malformed id is share_not_found / invalid_request', async () => {
    expect(errorCodeOf(await jsonRequest(server.api, 'GET', `/s/${'A'.repeat(22)}`))).toBe('share_not_found');
    expect(errorCodeOf(await jsonRequest(server.api, 'GET', '/s/short'))).toBe('invalid_request');
  });
});

describe('downloads', () => {
  test('Range through a share: 206 with the asked bytes, ETag and If-Range', async () => {
    const text = '0123456789abcdefghij';
    const share = await createShare(alice, { path: (await aliceFile(text)).path });
    const token = await tokenFor(share);
    const part = await sharedBytes(share.id, token, '/', { range: 'bytes=5-9' });
    expect(part.status).toBe(206);
    expect(part.bytes.toString()).toBe('56789');
    expect(part.headers.get('content-range')).toBe(`bytes 5-9/${text.length}`);
    expect(part.headers.get('content-disposition')).toMatch(/^attachment; /);
    const stale = await sharedBytes(share.id, token, '/', { range: 'bytes=5-9', 'if-range': '"0000"' });
    expect([stale.status, stale.bytes.toString()]).toEqual([200, text]);
    expect((await sharedBytes(share.id, token, '/', { range: 'bytes=100-' })).status).toBe(416);
  });

  test('a folder: listing, a file inside, a zip of it all, and nothing outside it', async () => {
    for (const path of ['/album', '/album/sub']) await jsonRequest(server.api, 'POST', '/files/mkdir', { headers: alice.auth, body: { path } });
    await aliceFile('first photo', '/album/a.jpg');
    await aliceFile('第二张', '/album/sub/照片.txt');
    await aliceFile('outside', '/album-secret.txt');
    const share = await createShare(alice, { path: '/album' });
    const token = await tokenFor(share);
    const list = async (path: string) => jsonRequest(server.api, 'GET', `/s/${share.id}/entries?path=${encodeURIComponent(path)}`, { headers: { [SHARE_TOKEN_HEADER]: token } });

    expect(sharedListResponse.parse((await list('/')).body).entries.map((e) => [e.path, e.kind])).toEqual([['/a.jpg', 'file'], ['/sub', 'folder']]);
    expect(sharedListResponse.parse((await list('/sub')).body).entries.map((e) => e.path)).toEqual(['/sub/照片.txt']);
    expect((await sharedBytes(share.id, token, '/sub/照片.txt')).bytes.toString()).toBe('第二张');
    expect(errorCodeOf(await list('/../album-secret.txt'))).toBe('invalid_path');
    expect(codeOfBytes(await sharedBytes(share.id, token, '/nope'))).toBe('not_found');

    const zip = await sharedBytes(share.id, token, '/');
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(Number(zip.headers.get('content-length'))).toBe(zip.bytes.length);
    const dir = mkdtempSync(join(tmpdir(), 'share-zip-'));
    try {
      writeFileSync(join(dir, 'album.zip'), zip.bytes);
      // The system's unzip checks every CRC-32 and size against the data descriptors and the central directory.
      execFileSync('unzip', ['-q', '-t', 'album.zip'], { cwd: dir });
      execFileSync('unzip', ['-q', 'album.zip', '-d', 'out'], { cwd: dir });
      expect(readFileSync(join(dir, 'out/album/a.jpg'), 'utf8')).toBe('first photo');
      expect(readFileSync(join(dir, 'out/album/sub/照片.txt'), 'utf8')).toBe('第二张');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('share page', () => {
  test('asks for the code in the visitor\'s language, under a strict CSP, then lets the file download', async () => {
    const file = await aliceFile('page bytes');
    const share = await createShare(alice, { path: file.path, code: 'pg42' });
    const page = await fetch(`${server.url}/s/${share.id}`, { headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' } });
    expect(page.headers.get('content-security-policy')).toBe(SHARE_PAGE_CSP);
    const html = await page.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('提取码');
    expect(html).not.toMatch(/<script|style=/);
    expect(html).not.toContain(file.name);

    const post = (code: string) => fetch(`${server.url}/s/${share.id}`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: new URLSearchParams({ code }).toString(),
    });
    const wrong = await post('pg41');
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain('Wrong extraction code');

    const right = await post('pg42');
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^share_token=[^;]+; Path=/s/${share.id}; Max-Age=\\d+; HttpOnly; SameSite=Strict$`));
    const sessionCookie = cookie.split(';')[0]!;
    const unlocked = await (await fetch(`${server.url}/s/${share.id}`, { headers: { cookie: sessionCookie } })).text();
    expect(unlocked).toContain(file.name);
    expect(unlocked).toContain('<span title="10 bytes">10 B</span>');
    const bytes = await fetch(`${server.url}/s/${share.id}/download?path=%2F`, { headers: { cookie: sessionCookie } });
    expect(await bytes.text()).toBe('page bytes');

    await jsonRequest(server.api, 'DELETE', `/shares/${share.id}`, { headers: alice.auth });
    const revoked = await fetch(`${server.url}/s/${share.id}`, { headers: { cookie: sessionCookie, 'accept-language': 'en' } });
    expect(revoked.status).toBe(410);
    expect(await revoked.text()).toContain('revoked');
  });

  test('the routes are in the OpenAPI document', async () => {
    const doc = await (await fetch(`${server.api}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/shares'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/api/v1/shares/{id}']).toHaveProperty('delete');
    expect(doc.paths['/api/v1/s/{id}/unlock']).toHaveProperty('post');
    expect(doc.paths['/api/v1/s/{id}/content']).toHaveProperty('get');
  });
});
