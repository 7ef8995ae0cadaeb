import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import keytar from 'keytar';
import WebSocket from 'ws';
import { CREDENTIALS_FILE } from '../../app/auth/fileCredentialStore.js';
import { KEYCHAIN_SERVICE } from '../../app/auth/keytarCredentialStore.js';
import { signInThroughPage } from './signInPage.js';
import { expect, shots, test } from './fixtures.js';
import type { SyncUi } from './uiHarness.js';

const tokenOf = (url: string) => new URL(url).hash.replace('#token=', '');

/**
 * The secrets the client stored: in the OS keychain where one answers (CI runs
 * a real Secret Service), else in the 0600 file in the folder's state dir.
 */
async function storedSecrets(folder: string): Promise<string[]> {
  const file = join(folder, '.netdisk-sync', CREDENTIALS_FILE);
  if (existsSync(file)) return [...readFileSync(file, 'utf8').matchAll(/"([A-Za-z0-9_-]{32,})"/g)].map((m) => m[1]!);
  return (await keytar.findCredentials(KEYCHAIN_SERVICE)).map((entry) => entry.password);
}

/** Opens the bridge socket from Node with the given Origin; resolves with how the attempt ended. */
function connect(ui: SyncUi, origin: string | undefined, hello: unknown, then: unknown[] = []): Promise<{ refused?: number; closed?: number; messages: unknown[] }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${ui.origin.replace('http', 'ws')}/bridge`, origin === undefined ? {} : { origin });
    const messages: unknown[] = [];
    socket.on('unexpected-response', (_request, response) => {
      resolve({ refused: response.statusCode ?? 0, messages });
      socket.terminate();
    });
    socket.on('open', () => socket.send(JSON.stringify(hello)));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string };
      messages.push(message);
      if (message.type === 'ready') for (const call of then) socket.send(JSON.stringify(call));
      if (messages.filter((m) => (m as { type: string }).type === 'result').length === then.length && message.type !== 'event') socket.close();
    });
    socket.on('close', (code) => resolve({ closed: code, messages }));
    socket.on('error', () => {});
  });
}

test('a page without the token, or with a wrong one, gets nothing', async ({ page, ui }) => {
  await page.goto(ui.origin);
  await expect(page.getByRole('alert')).toContainText('needs the address netdisk-sync printed');
  await page.screenshot({ path: `${shots}/no-token.png` });
  await page.goto(`${ui.origin}/#token=wrong-token`);
  await page.reload();
  await expect(page.getByRole('alert')).toContainText('refused this page');
});

test('the WebSocket refuses other origins and wrong tokens; the right one gets plain data without secrets', async ({ page, world, ui }) => {
  const token = tokenOf(ui.url);
  expect(await connect(ui, 'http://evil.example', { type: 'hello', token })).toMatchObject({ refused: 403 });
  expect(await connect(ui, undefined, { type: 'hello', token })).toMatchObject({ refused: 403 });
  expect(await connect(ui, ui.origin.replace('127.0.0.1', 'localhost'), { type: 'hello', token })).toMatchObject({ refused: 403 });
  expect(await connect(ui, ui.origin, { type: 'hello', token: 'x'.repeat(43) })).toMatchObject({ closed: 4401 });
  expect(await connect(ui, ui.origin, { type: 'call', id: 1, command: 'getSnapshot' })).toMatchObject({ closed: 4401 });

  await signInThroughPage(page, ui.url, world.username);
  const answer = await connect(ui, ui.origin, { type: 'hello', token }, [
    { type: 'call', id: 1, command: 'getSnapshot' },
    { type: 'call', id: 2, command: 'setSettings', args: { refreshToken: 'x' } },
    { type: 'call', id: 3, command: 'readCredentials' },
  ]);
  const results = answer.messages.filter((m) => (m as { type: string }).type === 'result') as Array<{ id: number; ok: boolean; value?: unknown; error?: { code: string } }>;
  expect(results.find((r) => r.id === 1)).toMatchObject({ ok: true, value: { session: { state: 'signed_in', username: world.username } } });
  expect(results.find((r) => r.id === 2)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  expect(results.find((r) => r.id === 3)).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
  // The stored refresh token never crosses the bridge.
  const secrets = await storedSecrets(world.folder);
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(JSON.stringify(answer.messages)).not.toContain(secret);
});

test('HTTP under another host name (DNS rebinding) is refused', async ({ ui }) => {
  const port = new URL(ui.origin).port;
  const status = await new Promise<number>((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host: `rebound.example:${port}` } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
  expect(status).toBe(421);
  expect((await fetch(`${ui.origin}/`)).status).toBe(200);
  expect((await fetch(`${ui.origin}/..%2f..%2fpackage.json`)).status).toBe(404);
});
