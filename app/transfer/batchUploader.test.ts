import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBytes } from '../../protocol/contentHash.js';
import { signUp, TEST_PASSWORD } from '../../test/helpers/accounts.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { FileCredentialStore } from '../auth/fileCredentialStore.js';
import { TokenSession } from '../auth/tokenSession.js';
import { PiscinaHasher } from '../hash/piscinaHasher.js';
import { LocalPaths } from '../local/localPaths.js';
import { localNodeOf } from '../local/scanner.js';
import { ApiClient } from '../remote/apiClient.js';
import { HttpRemoteStore } from '../remote/httpRemoteStore.js';
import { uploadSmallFiles, type BatchContext, type BatchOutcome } from './batchUploader.js';
import { TokenBucket } from './tokenBucket.js';
import type { UploadOp } from './uploader.js';

const dirs: string[] = [];
let server: TestServer;
let ctx: BatchContext;
const hasher = new PiscinaHasher({ threads: 2 });
let root: string;

beforeAll(async () => {
  server = await startTestServer();
  const { user } = await signUp(server.api);
  const api = new ApiClient(server.url);
  const credentials = mkdtempSync(join(tmpdir(), 'netdisk-batch-creds-'));
  root = mkdtempSync(join(tmpdir(), 'netdisk-batch-'));
  dirs.push(credentials, root);
  const session = new TokenSession({ api, credentials: new FileCredentialStore(credentials) });
  await session.login(user.username, TEST_PASSWORD);
  ctx = { remote: new HttpRemoteStore(api, session), paths: new LocalPaths(root), upload: new TokenBucket(0, { now: Date.now, sleep: async () => {} }), hasher };
});

afterAll(async () => {
  await hasher.close();
  await server?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Writes the file and plans its upload as the scan would have seen it. */
function planned(name: string, text: string): UploadOp {
  const abs = join(root, name);
  writeFileSync(abs, text);
  const local = { ...localNodeOf(`/${name}`, statSync(abs)), contentHash: hashBytes(Buffer.from(text)).contentHash };
  return { path: `/${name}`, local, ifRev: null };
}

describe('uploadSmallFiles', () => {
  it('sends the files as planned and refuses, as file_changed, each one that is no longer what the plan saw, without reading a FIFO', async () => {
    const ops = [planned('kept.txt', 'kept'), planned('fifo.txt', 'fifo'), planned('link.txt', 'link'), planned('gone.txt', 'gone'), planned('edited.txt', 'four')];
    // After the plan: replaced by a FIFO (reading it would wait for a writer forever), by a symlink
    // to a file with the same bytes, deleted, and edited to other bytes of the same size and mtime.
    unlinkSync(join(root, 'fifo.txt'));
    execFileSync('mkfifo', [join(root, 'fifo.txt')]);
    writeFileSync(join(root, 'target.txt'), 'link');
    unlinkSync(join(root, 'link.txt'));
    symlinkSync(join(root, 'target.txt'), join(root, 'link.txt'));
    unlinkSync(join(root, 'gone.txt'));
    const edited = statSync(join(root, 'edited.txt'));
    writeFileSync(join(root, 'edited.txt'), 'FOUR');
    utimesSync(join(root, 'edited.txt'), edited.atime, edited.mtime);

    const outcomes = new Map<string, BatchOutcome>();
    await uploadSmallFiles(ctx, ops, new AbortController().signal, (answered) => {
      for (const { index, outcome } of answered) outcomes.set(ops[index]!.path, outcome);
    });

    const codes = Object.fromEntries([...outcomes].map(([path, outcome]) => [path, outcome.ok ? 'done' : outcome.error.code]));
    expect(codes).toEqual({ '/kept.txt': 'done', '/fifo.txt': 'file_changed', '/link.txt': 'file_changed', '/gone.txt': 'file_changed', '/edited.txt': 'file_changed' });
    expect((await ctx.remote.list('/')).nodes.map((node) => node.path)).toEqual(['/kept.txt']);
  });

  it('tells each batch\'s files as it starts them, so no more than the batches in flight are started before answers come', async () => {
    const ops = Array.from({ length: 2_100 }, (_, i) => planned(`many-${i}.txt`, `file ${i}`));
    const log: string[] = [];
    await uploadSmallFiles(ctx, ops, new AbortController().signal, (answered) => {
      log.push(`answered ${answered.length}`);
    }, (indexes) => {
      log.push(`started ${indexes.length}`);
    });

    // MAX_BATCH_FILES (1,000) per request, two requests in flight: the third batch starts after an answer.
    expect(log.filter((line) => line.startsWith('started'))).toEqual(['started 1000', 'started 1000', 'started 100']);
    expect(log.slice(0, 2)).toEqual(['started 1000', 'started 1000']);
    expect(log[2]).toMatch(/^answered/);
    expect(log.filter((line) => line.startsWith('answered')).reduce((sum, line) => sum + Number(line.split(' ')[1]), 0)).toBe(2_100);
  }, 60_000);
});
