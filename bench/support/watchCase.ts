import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { changesResponse, latestCursorResponse, tokenPairResponse } from '../../protocol/api.js';
import { hashBytes } from '../../protocol/contentHash.js';
import { registerUser } from './service.js';
import { signInFolder, syncInChildProcess } from './syncProcess.js';
import { writeSmallFiles } from './tree.js';
import type { WatchChildMessage } from './watchChild.js';

const CHILD = fileURLToPath(new URL('./watchChild.js', import.meta.url));
const PASSWORD = 'bench password 1234';

/** A folder to watch: `files` small files, `perFolder` to a folder (`files` for one flat folder). */
export interface WatchCase {
  files: number;
  perFolder: number;
  /** `100000 files in folders of 100` / `100000 files in one folder`. */
  label: string;
}

/** Files per folder in a case's realistic tree. */
const TREE_FOLDER_FILES = 100;

/**
 * `10,100000,100000:flat`: each item is a number of files, spread over
 * folders of 100 (a realistic tree) or, with `:flat`, all in one folder.
 */
export function parseWatchCases(spec: string): WatchCase[] {
  return spec.split(',').map((item) => {
    const [count, shape] = item.trim().split(':');
    const files = Number(count);
    if (!Number.isInteger(files) || files <= 0 || (shape !== undefined && shape !== 'flat')) throw new Error(`bad case "${item}": want N or N:flat`);
    const flat = shape === 'flat' || files <= TREE_FOLDER_FILES;
    return { files, perFolder: flat ? files : TREE_FOLDER_FILES, label: `${files} files ${flat ? 'in one folder' : `in folders of ${TREE_FOLDER_FILES}`}` };
  });
}

export interface WatchCaseResult {
  case: WatchCase;
  initialSyncSeconds: number;
  initialSyncPeakRssMiB: number;
  /** Edit on disk to the new content in the change feed, per edit. */
  latenciesMs: number[];
  /** Peak RSS of a fresh watching process on the synced folder (run()'s first full walk and the edits). */
  watchingPeakRssMiB: number;
}

async function api(url: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** A user's view of the service for the probe: sign-in and the change feed. */
export async function signInProbe(serviceUrl: string, username: string): Promise<{ base: string; auth: Record<string, string> }> {
  const base = `${serviceUrl}/api/v1`;
  const pair = tokenPairResponse.parse(await api(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, deviceName: 'latency probe' }),
  }));
  return { base, auth: { authorization: `Bearer ${pair.accessToken}` } };
}

/** Long-polls the change feed from `cursor` until `path` has `contentHash`; returns the new cursor. */
async function waitForContent(probe: { base: string; auth: Record<string, string> }, cursor: number, path: string, contentHash: string): Promise<number> {
  for (;;) {
    const page = changesResponse.parse(await api(`${probe.base}/changes?cursor=${cursor}&wait=30`, { headers: probe.auth }));
    cursor = page.cursor;
    if (page.changes.some((c) => c.path === path && c.entry.contentHash === contentHash)) return cursor;
  }
}

class WatchChild {
  private readonly messages: WatchChildMessage[] = [];
  private waiting: (() => void) | null = null;
  readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcess) {
    child.on('message', (message) => {
      this.messages.push(message as WatchChildMessage);
      this.waiting?.();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => { resolve(code); this.waiting?.(); }));
  }

  async next<T extends WatchChildMessage['type']>(type: T): Promise<Extract<WatchChildMessage, { type: T }>> {
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type);
      if (i >= 0) return this.messages.splice(i, 1)[0] as Extract<WatchChildMessage, { type: T }>;
      if (this.child.exitCode !== null) throw new Error(`the watching process exited with ${this.child.exitCode}`);
      await new Promise<void>((resolve) => { this.waiting = resolve; });
    }
  }

  send(line: string): void {
    this.child.send(line);
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The case's small files, synced by one process (`syncOnce`, spawn to exit
 * timed), then watched by a fresh one; `edits` edits of one file in the first
 * folder (the only one when flat), each timed from the write to its content
 * in the change feed. NETDISK_BENCH_SNAPSHOT=<file> writes a heap snapshot of
 * the watching process after the edits.
 */
export async function runWatchCase(serviceUrl: string, work: string, watchCase: WatchCase, edits: number): Promise<WatchCaseResult> {
  const { files, perFolder } = watchCase;
  const name = `${files}-${perFolder}`;
  const username = `watch-${name}-${randomBytes(3).toString('hex')}`;
  const folder = join(work, `folder-${name}`);
  const stateDir = join(work, `state-${name}`);
  mkdirSync(folder);
  writeSmallFiles(folder, files, 0, 4096, perFolder);
  await registerUser(serviceUrl, username, PASSWORD);
  const target = { server: serviceUrl, folder, stateDir, username };
  await signInFolder(target, PASSWORD);
  const synced = await syncInChildProcess(target);
  const probe = await signInProbe(serviceUrl, username);
  const spawned = spawn(process.execPath, [CHILD, serviceUrl, folder, stateDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child = new WatchChild(spawned);
  try {
    await child.next('watching');
    let cursor = latestCursorResponse.parse(await api(`${probe.base}/changes/latest`, { headers: probe.auth })).cursor;
    const edited = '/d0000/edited.txt';
    const latenciesMs: number[] = [];
    for (let n = 0; n < edits; n++) {
      const bytes = Buffer.concat([Buffer.from(`edit ${n}\n`), randomBytes(1024)]);
      const start = performance.now();
      writeFileSync(join(folder, edited), bytes);
      cursor = await waitForContent(probe, cursor, edited, hashBytes(bytes).contentHash);
      latenciesMs.push(performance.now() - start);
      // The engine's own upload comes back through its feed and starts a round that plans nothing; let it pass.
      await pause(700);
    }
    child.send('rss');
    const rss = await child.next('rss');
    if (process.env.NETDISK_BENCH_SNAPSHOT) {
      child.send(`snapshot ${process.env.NETDISK_BENCH_SNAPSHOT}-${name}.heapsnapshot`);
      console.log(`heap snapshot: ${(await child.next('snapshot')).file}`);
    }
    return { case: watchCase, initialSyncSeconds: synced.wallSeconds, initialSyncPeakRssMiB: synced.maxRssMiB, latenciesMs, watchingPeakRssMiB: rss.peakRssMiB };
  } finally {
    child.send('stop');
    await child.exited;
  }
}
