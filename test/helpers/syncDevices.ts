import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ROOT } from '../../protocol/paths.js';
import { FileCredentialStore } from '../../app/auth/fileCredentialStore.js';
import type { SyncEngineOptions, SyncSummary } from '../../app/engine/syncEngine.js';
import { STATE_DIR_NAME } from '../../app/local/ignore.js';
import { SyncClient } from '../../app/syncClient.js';
import { TEST_PASSWORD, signUp, type SignedUpUser } from './accounts.js';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from './testServer.js';

/** Path -> `folder` or the SHA-256 (hex) of the file's bytes. */
export type TreeSnapshot = Record<string, string>;

/**
 * The suite's real service, started once. Local deletes go to the freedesktop
 * trash, so the suite points XDG_DATA_HOME at a temporary folder instead of
 * the real home. Call at the top level of a test file.
 */
export function useSyncService(): { readonly server: TestServer } {
  const suite = {} as { server: TestServer };
  let xdgDataHome = '';
  beforeAll(async () => {
    xdgDataHome = await mkdtemp(join(tmpdir(), 'netdisk-sync-xdg-'));
    process.env.XDG_DATA_HOME = xdgDataHome;
    suite.server = await startTestServer();
  });
  afterAll(async () => {
    await suite.server?.close();
    await rm(xdgDataHome, { recursive: true, force: true });
  });
  return suite;
}

export const FOLDER = 'folder';

/** Where devices reach the service: a test server, or a load balancer in front of several nodes. */
export type ServiceAddress = Pick<TestServer, 'url' | 'api'>;

type EngineOverrides = Partial<Omit<SyncEngineOptions, 'root' | 'stateDir'>>;

/**
 * One machine of a sync test: a folder, a state dir outside it (so the
 * folder holds only user files) and a signed-in SyncClient. Tokens go to a
 * file store in the state dir, never to the OS keychain.
 */
export class Device {
  client!: SyncClient;

  constructor(
    readonly name: string,
    readonly folder: string,
    readonly stateDir: string,
    private readonly server: ServiceAddress,
    private readonly username: string,
    private readonly engine: EngineOverrides,
  ) {}

  async open(): Promise<void> {
    this.client = await SyncClient.open({
      server: this.server.url,
      folder: this.folder,
      stateDir: this.stateDir,
      warn: () => {},
      credentials: new FileCredentialStore(this.stateDir),
      engine: { host: this.name, ...this.engine },
    });
    if (!(await this.client.resume())) await this.client.login(this.username, TEST_PASSWORD);
  }

  /** Closes the client and opens a new one on the same folder and state dir, as after a restart. */
  async restart(): Promise<void> {
    await this.client.close();
    await this.open();
  }

  sync(): Promise<SyncSummary> {
    return this.client.engine.syncOnce();
  }

  path(drivePath: string): string {
    return join(this.folder, drivePath);
  }
}

export interface DeviceWorld {
  user: SignedUpUser;
  devices: Device[];
  close(): Promise<void>;
}

/** A fresh account and `names.length` devices syncing it, each with its own folder and state dir. */
export async function openDevices(server: ServiceAddress, names: readonly string[], engine: EngineOverrides = {}): Promise<DeviceWorld> {
  const user = await signUp(server.api);
  const root = await mkdtemp(join(tmpdir(), 'netdisk-sync-e2e-'));
  const devices: Device[] = [];
  for (const name of names) {
    const folder = join(root, name, 'folder');
    const stateDir = join(root, name, 'state');
    await mkdir(folder, { recursive: true });
    const device = new Device(name, folder, stateDir, server, user.user.username, engine);
    await device.open();
    devices.push(device);
  }
  return {
    user,
    devices,
    close: async () => {
      for (const device of devices) await device.client.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Runs the devices' syncs one after another and requires each to converge. */
export async function syncInOrder(...devices: Device[]): Promise<SyncSummary[]> {
  const summaries: SyncSummary[] = [];
  for (const device of devices) {
    const summary = await device.sync();
    if (!summary.converged || summary.failures.length > 0) {
      throw new Error(`${device.name} did not converge: ${JSON.stringify(summary)}`);
    }
    summaries.push(summary);
  }
  return summaries;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The folder's tree as it is spelled on disk (names not normalized), without the engine's own never-synced folder (partial downloads). */
export async function localTree(folder: string): Promise<TreeSnapshot> {
  const tree: TreeSnapshot = {};
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = `${prefix}/${entry.name}`;
      if (path === `/${STATE_DIR_NAME}`) continue;
      if (entry.isDirectory()) {
        tree[path] = FOLDER;
        await walk(join(dir, entry.name), path);
      } else if (entry.isFile()) {
        tree[path] = await sha256OfFile(join(dir, entry.name));
      } else {
        tree[path] = entry.isSymbolicLink() ? 'symlink' : 'other';
      }
    }
  };
  await walk(folder, '');
  return sorted(tree);
}

/** The service's tree for the device's account; every file is downloaded and hashed. */
export async function remoteTree(device: Device): Promise<TreeSnapshot> {
  const remote = device.client.remote;
  const tree: TreeSnapshot = {};
  const folders = [ROOT];
  while (folders.length > 0) {
    const folder = folders.shift()!;
    for (const node of (await remote.list(folder)).nodes) {
      if (node.kind === 'folder') {
        tree[node.path] = FOLDER;
        folders.push(node.path);
      } else {
        const download = await remote.download(node.path);
        const hash = createHash('sha256');
        await pipeline(download.body, hash);
        tree[node.path] = hash.digest('hex');
      }
    }
  }
  return sorted(tree);
}

/** Keys NFC-normalized, as drive paths are; two spellings of one name would collide, so that throws. */
export function normalized(tree: TreeSnapshot): TreeSnapshot {
  const out: TreeSnapshot = {};
  for (const [path, value] of Object.entries(tree)) {
    const nfc = path.normalize('NFC');
    if (nfc in out) throw new Error(`${path} appears twice once NFC-normalized`);
    out[nfc] = value;
  }
  return sorted(out);
}

export function sorted(tree: TreeSnapshot): TreeSnapshot {
  return Object.fromEntries(Object.entries(tree).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Every device's folder and the service, as normalized snapshots. */
export async function snapshots(devices: readonly Device[]): Promise<{ remote: TreeSnapshot; local: TreeSnapshot[] }> {
  return {
    remote: await remoteTree(devices[0]!),
    local: await Promise.all(devices.map(async (device) => normalized(await localTree(device.folder)))),
  };
}

/** Retries `check` until it passes or `deadlineMs` is over (a generous bound, not a timing assertion). */
export async function eventually(check: () => Promise<void>, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
