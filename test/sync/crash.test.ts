import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, TEST_PASSWORD, uniqueUsername, type SignedUpUser } from '../helpers/accounts.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { download, uploadFile } from '../helpers/uploads.js';
import {
  CHUNK, CHUNKS_IN_FLIGHT, chunkBytesSent, contentBytesServed, isChunkPut, isContentGet, randomContent, tempDir, until, writeRandomFile,
} from './faultHarness.js';

/**
 * kill -9 of the `netdisk-sync` CLI in the middle of a 300 MB transfer, then
 * a restart: it must finish, re-sending (or re-fetching) at most the chunks
 * that were in flight at the kill. Bytes are counted at the proxy in front of
 * the service. Needs `npx tsc -b` (the CLI and the hash worker run from dist/).
 */

const SIZE = 300 * 1024 * 1024;
const CLI = join(import.meta.dirname, '../../bin/netdisk-sync.js');

let server: TestServer;
let proxy: FaultProxy;
const dirs: string[] = [];
const children = new Set<ChildProcess>();

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startFaultProxy(server.url);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await proxy?.close();
  await server?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

/** Starts `netdisk-sync --once --json` for `folder`; `limits` slow the first run so the kill lands mid-transfer. */
function startCli(folder: string, username: string, limits: string[] = []): Run {
  const child = spawn(process.execPath, [CLI, '--server', proxy.url, '--folder', folder, '--once', '--json', '--username', username, ...limits], {
    env: { ...process.env, NETDISK_PASSWORD: TEST_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (data: Buffer) => { output += data.toString(); });
  child.stderr!.on('data', (data: Buffer) => { output += data.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, output });
    });
  });
  return { child, exited };
}

/**
 * Bytes to let through before the kill: a random point between 15% and 60%
 * of the file, so several chunks are done (more than the in-flight bound, so
 * the bound also proves the restart resumed rather than started over) and
 * the kill may land mid-chunk.
 */
function randomKillPoint(): number {
  return Math.floor(SIZE * (0.15 + Math.random() * 0.45));
}

describe('kill -9 of netdisk-sync mid-transfer', () => {
  it('resumes a 300 MB upload, re-sending at most the chunks in flight', async () => {
    const account = await signUp(server.api, uniqueUsername('crash-up'));
    const folder = tempDir('crash-up');
    dirs.push(folder);
    const bytes = writeRandomFile(join(folder, 'big.bin'), SIZE);
    const killAfter = randomKillPoint();

    // 100 MB/s: about 3 s for the whole file, so the kill surely lands mid-upload.
    const first = startCli(folder, account.user.username, ['--upload-limit', '100000']);
    await until(() => chunkBytesSent(proxy) >= killAfter, `${killAfter} bytes sent`, 90_000);
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal, killed.output).toBe('SIGKILL');
    const sentBeforeKill = chunkBytesSent(proxy);
    const storedBeforeKill = proxy.seen.filter((r) => isChunkPut(r) && r.status === 200 && r.answered).length;

    const second = await startCli(folder, account.user.username).exited;
    expect(second.code, second.output).toBe(0);
    const total = chunkBytesSent(proxy);
    console.log(`crash upload: killed at ${sentBeforeKill} bytes sent (${storedBeforeKill} chunks stored), ` +
      `${total} in all for a ${SIZE}-byte file (${total - SIZE} re-sent; bound ${CHUNKS_IN_FLIGHT * CHUNK})`);
    expect(total).toBeGreaterThanOrEqual(SIZE);
    expect(total).toBeLessThanOrEqual(SIZE + CHUNKS_IN_FLIGHT * CHUNK);
    const stored = await download(server.api, account.auth, '/big.bin');
    expect(stored.status).toBe(200);
    expect(stored.bytes.equals(bytes)).toBe(true);
  }, 120_000);

  it('resumes a 300 MB download, re-fetching at most the chunks in flight, with no partial file at the target', async () => {
    const account: SignedUpUser = await signUp(server.api, uniqueUsername('crash-down'));
    const bytes = randomContent(SIZE);
    await uploadFile(server.api, account.auth, '/big.bin', bytes);
    const folder = tempDir('crash-down');
    dirs.push(folder);
    const target = join(folder, 'big.bin');
    const servedBefore = contentBytesServed(proxy);
    const killAfter = randomKillPoint();

    const first = startCli(folder, account.user.username, ['--download-limit', '100000']);
    await until(() => contentBytesServed(proxy) - servedBefore >= killAfter, `${killAfter} bytes fetched`, 90_000);
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal, killed.output).toBe('SIGKILL');
    const fetchedBeforeKill = contentBytesServed(proxy) - servedBefore;
    const answeredBeforeKill = proxy.seen.filter((r) => isContentGet(r) && r.status === 206 && r.answered).length;
    // The partial download lives in the state dir; the target path is untouched until the verified rename.
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(folder).filter((name) => name !== '.netdisk-sync')).toEqual([]);

    const second = await startCli(folder, account.user.username).exited;
    expect(second.code, second.output).toBe(0);
    const total = contentBytesServed(proxy) - servedBefore;
    console.log(`crash download: killed at ${fetchedBeforeKill} bytes served (${answeredBeforeKill} chunks answered), ` +
      `${total} in all for a ${SIZE}-byte file (${total - SIZE} re-fetched; bound ${CHUNKS_IN_FLIGHT * CHUNK})`);
    expect(total).toBeGreaterThanOrEqual(SIZE);
    expect(total).toBeLessThanOrEqual(SIZE + CHUNKS_IN_FLIGHT * CHUNK);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(readdirSync(join(folder, '.netdisk-sync', 'partial'))).toEqual([]);
  }, 120_000);
});
