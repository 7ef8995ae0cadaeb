import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, TEST_PASSWORD } from '../../test/helpers/accounts.js';
import { startFaultProxy, type FaultProxy } from '../../test/helpers/faultProxy.js';
import { startTestServer, type TestServer } from '../../test/helpers/testServer.js';
import { FileCredentialStore } from '../auth/fileCredentialStore.js';
import { TokenSession } from '../auth/tokenSession.js';
import { SyncError } from '../errors.js';
import { ApiClient } from './apiClient.js';
import { followChanges } from './changeFeed.js';
import { HttpRemoteStore } from './httpRemoteStore.js';
import { errorFromResponse } from './remoteErrors.js';
import type { ChangePage, RemoteChange, RemoteStore } from './remoteStore.js';

/** A clock whose sleeps return at once and are remembered. */
function recordingClock() {
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: { sleep: async (ms: number) => { sleeps.push(ms); } },
  };
}

describe('followChanges against the real service', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  let direct: HttpRemoteStore;
  let viaProxy: HttpRemoteStore;
  let dir: string;

  beforeAll(async () => {
    server = await startTestServer();
    proxy = await startFaultProxy(server.url);
    dir = mkdtempSync(join(tmpdir(), 'netdisk-feed-'));
    const { user } = await signUp(server.api);
    const connect = async (url: string, name: string) => {
      const api = new ApiClient(url);
      const session = new TokenSession({ api, credentials: new FileCredentialStore(join(dir, name)) });
      await session.login(user.username, TEST_PASSWORD);
      return new HttpRemoteStore(api, session);
    };
    direct = await connect(server.url, 'direct');
    viaProxy = await connect(proxy.url, 'proxy');
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands over each page with its cursor, long-polls for more, and stops on abort', async () => {
    await direct.mkdir('/A');
    const controller = new AbortController();
    const pages: { paths: string[]; cursor: number }[] = [];
    const seen: RemoteChange[] = [];
    const following = followChanges({
      remote: direct,
      cursor: 0,
      signal: controller.signal,
      waitSeconds: 30,
      limit: 1,
      onResync: () => { throw new Error('no resync expected'); },
      onPage: async (changes, cursor) => {
        pages.push({ paths: changes.map((change) => change.path), cursor });
        seen.push(...changes);
        // The first page came from the backlog; this change must arrive through a long poll.
        if (seen.length === 1) await direct.mkdir('/B');
        if (seen.length === 2) controller.abort();
      },
    });
    await following;
    expect(pages.map((page) => page.paths)).toEqual([['/A'], ['/B']]);
    expect(pages[1]!.cursor).toBeGreaterThan(pages[0]!.cursor);
    expect(seen.map((change) => change.op)).toEqual(['create', 'create']);
  });

  it('backs off with jitter through connection resets, then delivers', async () => {
    await direct.mkdir('/AfterOutage');
    const start = proxy.seen.length;
    proxy.setPlan(({ url, index }) => (url.startsWith('/api/v1/changes') && index < start + 2 ? { kind: 'reset' } : { kind: 'pass' }));
    const { sleeps, clock } = recordingClock();
    const retried: string[] = [];
    const controller = new AbortController();
    const delivered: string[] = [];
    await followChanges({
      remote: viaProxy,
      cursor: 0,
      signal: controller.signal,
      clock,
      random: () => 0.5,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      onRetry: (error) => retried.push(error.code),
      onResync: () => { throw new Error('no resync expected'); },
      onPage: async (changes) => {
        delivered.push(...changes.map((change) => change.path));
        controller.abort();
      },
    });
    proxy.setPlan(() => ({ kind: 'pass' }));
    expect(retried).toEqual(['network', 'network']);
    expect(sleeps).toEqual([500, 1000]);
    expect(delivered).toContain('/AfterOutage');
  });

  it('rejects when the failure cannot be waited out', async () => {
    const api = new ApiClient(server.url);
    const signedOut = new HttpRemoteStore(api, new TokenSession({ api, credentials: new FileCredentialStore(join(dir, 'nobody')) }));
    const error = await followChanges({
      remote: signedOut,
      cursor: 0,
      signal: new AbortController().signal,
      onPage: async () => {},
      onResync: async () => 0,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe('signed_out');
  });
});

describe('followChanges on an expired cursor', () => {
  it('calls onResync and continues from the cursor it returns', async () => {
    const asked: number[] = [];
    const controller = new AbortController();
    // The service's 410 answer, as the API client turns it into an error.
    const expired = errorFromResponse(410, JSON.stringify({ error: { code: 'cursor_expired', message: 'pruned' } }));
    const remote: Pick<RemoteStore, 'changes'> = {
      changes: async (cursor): Promise<ChangePage> => {
        asked.push(cursor);
        if (cursor < 40) throw expired;
        return { changes: [], refused: [], cursor: 45, hasMore: false };
      },
    };
    const resyncs: (string | undefined)[] = [];
    const cursors: number[] = [];
    await followChanges({
      remote,
      cursor: 3,
      signal: controller.signal,
      onResync: async (reason) => {
        resyncs.push(reason.detail.serviceCode);
        return 40;
      },
      onPage: async (_changes, cursor) => {
        cursors.push(cursor);
        controller.abort();
      },
    });
    expect(resyncs).toEqual(['cursor_expired']);
    expect(asked).toEqual([3, 40]);
    expect(cursors).toEqual([45]);
  });
});
