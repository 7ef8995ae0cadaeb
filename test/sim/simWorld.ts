import { posix } from 'node:path';
import { hashBytes } from '../../protocol/contentHash.js';
import { isSameOrBelow } from '../../protocol/paths.js';
import type Database from 'better-sqlite3';
import { SqliteStateStore } from '../../app/db/sqliteStateStore.js';
import { SyncEngine } from '../../app/engine/syncEngine.js';
import { StateDirTrash } from '../../app/local/trash.js';
import type { LocalWatcherOptions } from '../../app/local/watcher.js';
import { ALLOCATING, MemoryFs, MUTATING, type FsOp } from './memoryFs.js';
import { MemoryHasher } from './memoryHasher.js';
import { Scheduler } from './scheduler.js';
import { SimRemote, SimService, type RemoteFault } from './simService.js';
import { SimWatcher } from './simWatcher.js';
import { VirtualClock, type Owner } from './virtualClock.js';

/**
 * Entries sorted by path as strings, so trees compare as JSON. A walk lists
 * depth first (`/d`, `/d/b`, `/d (conflicted copy …)`); string order puts
 * `/d (…` before `/d/b`: two equal trees once failed to compare equal.
 */
function inPathOrder(entries: [string, string][]): Map<string, string> {
  return new Map(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A small PRNG (mulberry32): the history's choices and the engines' jitter, all from one seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const HOME = '/home/user';
export const ROOT_DIR = `${HOME}/Sync`;
export const STATE_DIR = `${HOME}/.netdisk-state`;
/** A file of the user's outside the sync folder: nothing may touch it. */
const OUTSIDE_FILE = `${HOME}/notes.txt`;

export type FsFault = 'ENOSPC' | 'EIO' | 'EACCES';

/**
 * The engine's safety scan (a full walk that finds what the watcher lost) and
 * long-poll wait here: shorter than production's hour and minute only so that
 * a history needs fewer clock steps; the mechanisms are the same.
 */
const SAFETY_SCAN_MS = 10 * 60 * 1000;
const POLL_WAIT_SECONDS = 300;

/**
 * State databases reused from one history to the next, emptied in between:
 * opening one (schema, prepared statements) cost most of a short history's
 * CPU time. Emptied, a database is what a fresh one is (rows, and the
 * AUTOINCREMENT counters), so a history does not depend on the ones before.
 */
const spareStores: SqliteStateStore[] = [];

function freshStore(): SqliteStateStore {
  const store = spareStores.pop();
  if (!store) return SqliteStateStore.open(':memory:');
  // The handle is private to the store; only this pool reaches in, to empty it.
  const db = (store as unknown as { database: Database.Database }).database;
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
  db.transaction(() => {
    for (const table of tables) db.exec(`DELETE FROM "${table}"`);
    db.exec('DELETE FROM sqlite_sequence');
  })();
  return store;
}

/**
 * One simulated computer: its own disk (MemoryFs), its state database (real
 * SQLite in memory, kept across crashes as a disk would keep it), and an engine
 * that runs in watch mode until the device crashes.
 */
export class SimDevice {
  readonly fs: MemoryFs;
  readonly state = freshStore();
  owner: Owner = { alive: false };
  watcher: SimWatcher | null = null;
  engine: SyncEngine | null = null;
  remoteFaults: { mode: RemoteFault; left: number } = { mode: 'none', left: 0 };
  fsFaults: { code: FsFault; op: 'write' | 'any'; left: number } | null = null;
  readonly outsideWrites: string[] = [];
  readonly errors: string[] = [];
  crashes = 0;

  constructor(readonly name: string, private readonly world: World, index: number) {
    this.fs = new MemoryFs(() => world.clock.now());
    this.fs.mkdirNow(ROOT_DIR, true);
    this.fs.mkdirNow(STATE_DIR, true);
    this.fs.writeFileNow(OUTSIDE_FILE, new TextEncoder().encode('not synced'));
    this.fs.listeners.push((op, paths) => {
      for (const path of paths) {
        if (!isSameOrBelow(path, ROOT_DIR) && !isSameOrBelow(path, STATE_DIR)) this.outsideWrites.push(`${op} ${path}`);
      }
    });
    this.random = prng(world.seed ^ (index * 0x9e3779b1));
  }

  private readonly random: () => number;

  /** Starts the engine (again): a fresh process over the same disk and state database. */
  start(): void {
    const owner: Owner = { alive: true };
    this.owner = owner;
    const { world } = this;
    const clock = world.clock.forOwner(owner);
    const fs = this.fs.view({
      gate: (op, path) => world.scheduler.gate(owner, `${this.name}:fs:${op}:${path}`),
      fault: (op, path) => this.fsFault(op, path),
    });
    const remote = new SimRemote(world.service, {
      gate: (label) => world.scheduler.gate(owner, `${this.name}:${label}`),
      fault: () => this.remoteFault(),
      clock,
      device: this.name,
    });
    const engine = new SyncEngine({
      remote,
      state: this.state,
      hasher: new MemoryHasher(fs),
      trash: new StateDirTrash(STATE_DIR, () => new Date(clock.now()), fs),
      fs,
      watch: (root: string, options: LocalWatcherOptions) => {
        this.watcher = new SimWatcher(this.fs, root, options, owner);
        return this.watcher;
      },
      clock,
      random: this.random,
    }, {
      root: ROOT_DIR,
      stateDir: STATE_DIR,
      host: this.name,
      platform: 'linux',
      fileConcurrency: 2,
      chunkConcurrency: 2,
      // The guard holds deletes for a person to confirm; no person confirms here.
      massDelete: { minFiles: Number.MAX_SAFE_INTEGER, maxShare: 1 },
      watch: { fullScanIntervalMs: SAFETY_SCAN_MS, pollWaitSeconds: POLL_WAIT_SECONDS },
      // Half the worlds plan the whole trees a top-level entry at a time, as a
      // 100,000-file folder is planned ten thousand nodes at a time, so joining
      // the scopes' plans is exercised (moves across them, folder rules, set-asides).
      ...(this.world.seed % 2 === 0 ? { wholePlanNodes: 1 } : {}),
    });
    this.engine = engine;
    engine.on((event) => {
      if (process.env.SIM_DEBUG && event.type !== 'progress') console.log(this.name, JSON.stringify(event));
      if (event.type === 'issue' && owner.alive) world.log(`${this.name} issue ${event.issue.code} ${event.issue.path ?? ''}: ${event.issue.message}`);
    });
    engine.run().catch((error: unknown) => {
      if (owner.alive) this.errors.push(`${this.name}: run() ended: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** The process dies between two steps: nothing it was waiting for ever comes back to it. */
  crash(): void {
    this.owner.alive = false;
    this.watcher = null;
    this.engine = null;
    this.crashes += 1;
  }

  private remoteFault(): RemoteFault {
    if (this.world.healed || this.remoteFaults.left <= 0) return 'none';
    this.remoteFaults.left -= 1;
    return this.remoteFaults.mode;
  }

  private fsFault(op: FsOp, _path: string): string | null {
    const fault = this.fsFaults;
    if (this.world.healed || !fault || fault.left <= 0) return null;
    if (fault.op === 'write' && !MUTATING.has(op)) return null;
    if (fault.code === 'ENOSPC' && !ALLOCATING.has(op)) return null;
    fault.left -= 1;
    return fault.code;
  }
}

/** What a user does to one device's folder (paths relative to the drive root). */
export type UserAction =
  | { type: 'write'; device: number; path: string; large: boolean }
  | { type: 'save'; device: number; path: string }
  | { type: 'mkdir'; device: number; path: string }
  | { type: 'delete'; device: number; path: string }
  | { type: 'move'; device: number; from: string; to: string }
  | { type: 'kind'; device: number; path: string };

/** What the world does besides users: scheduling, the watcher's misdeeds, faults, crashes, time. */
export type WorldAction =
  | { type: 'step'; count: number }
  | { type: 'deliver'; device: number; pick: number; mode: 'deliver' | 'duplicate' | 'lose' }
  | { type: 'advance'; ms: number }
  | { type: 'crash'; device: number }
  | { type: 'remoteFault'; device: number; mode: Exclude<RemoteFault, 'none'>; count: number }
  | { type: 'fsFault'; device: number; code: FsFault; op: 'write' | 'any'; count: number }
  | { type: 'pruneFeed' };

export type Action = UserAction | WorldAction;

export interface History {
  devices: number;
  actions: Action[];
}

export interface Outcome {
  failures: string[];
  log: string[];
  steps: number;
  /** Every file-system call and request let through, in order. */
  trace: string[];
}

/**
 * The simulated service and devices of one history, the driver that plays
 * it, and the invariants checked at its end.
 */
export class World {
  readonly clock = new VirtualClock(Date.UTC(2026, 0, 1));
  readonly scheduler = new Scheduler();
  readonly service = new SimService();
  readonly devices: SimDevice[] = [];
  healed = false;
  private readonly pick: () => number;
  private readonly logLines: string[] = [];
  private writes = 0;
  /** Content hashes of every version a user wrote. */
  private readonly userVersions = new Set<string>();
  /** Paths a user deleted, moved away or replaced by the other kind, on any device. */
  private readonly removedByUser = new Set<string>();
  /**
   * Versions a user edited into a newer one (wrote or saved over them): the
   * edit replaces them by intent, as deleting a file does, and the real
   * service keeps them in the file's version history, not in its tree or trash.
   */
  private readonly editedByUser = new Set<string>();
  private steps = 0;

  constructor(readonly seed: number, deviceCount: number) {
    this.pick = prng(seed);
    for (let i = 0; i < deviceCount; i++) this.devices.push(new SimDevice(`host-${String.fromCharCode(97 + i)}`, this, i));
  }

  log(line: string): void {
    if (this.logLines.length < 400) this.logLines.push(`[${this.clock.now() - Date.UTC(2026, 0, 1)}ms] ${line}`);
  }

  async play(history: History, options: { healBudgetSteps?: number } = {}): Promise<Outcome> {
    for (const device of this.devices) device.start();
    await this.scheduler.settle();
    // Actions name devices by number; a history with fewer devices wraps the number around.
    for (const action of history.actions) await this.apply('device' in action ? { ...action, device: action.device % this.devices.length } : action);
    const failures: string[] = [];
    const current = this.userVersionsOnDevices();
    this.healed = true;
    const converged = await this.heal(options.healBudgetSteps ?? 30_000);
    if (!converged) failures.push(`(1) no convergence after faults healed:\n${this.describeTrees()}`);
    const kept = this.everyKeptVersion();
    for (const [hash, where] of current) {
      if (!kept.has(hash) && !this.editedByUser.has(hash)) failures.push(`(2) lost: the version ${hash.slice(0, 12)} current on ${where} when actions stopped is nowhere (tree, conflicted copy, trash)`);
    }
    for (const device of this.devices) {
      for (const write of device.outsideWrites) failures.push(`(3) ${device.name} wrote outside its folder: ${write}`);
      failures.push(...device.errors);
    }
    for (const item of this.service.trash) {
      if (![...this.removedByUser].some((path) => isSameOrBelow(item.path, path))) {
        failures.push(`(4) ${item.by} deleted ${item.path} at the service, which no user deleted, moved or replaced`);
      }
    }
    for (const device of this.devices) {
      device.crash();
      spareStores.push(device.state);
    }
    return { failures, log: this.logLines, steps: this.steps, trace: this.scheduler.trace };
  }

  private async apply(action: Action): Promise<void> {
    switch (action.type) {
      case 'step':
        for (let i = 0; i < action.count; i++) await this.step();
        return;
      case 'deliver': {
        const watcher = this.devices[action.device]?.watcher;
        if (!watcher) return;
        if (action.mode === 'lose') watcher.lose(action.pick);
        else watcher.deliver(action.pick, action.mode === 'duplicate');
        await this.scheduler.settle();
        return;
      }
      case 'advance':
        this.clock.advance(action.ms);
        await this.scheduler.settle();
        return;
      case 'crash': {
        const device = this.devices[action.device]!;
        this.log(`${device.name} crashes and restarts`);
        device.crash();
        device.start();
        await this.scheduler.settle();
        return;
      }
      case 'remoteFault':
        this.devices[action.device]!.remoteFaults = { mode: action.mode, left: action.count };
        return;
      case 'fsFault':
        this.devices[action.device]!.fsFaults = { code: action.code, op: action.op, left: action.count };
        return;
      case 'pruneFeed':
        this.service.pruneFeed();
        return;
      default:
        this.user(action);
        await this.scheduler.settle();
    }
  }

  /** One scheduling step: a waiting call goes on, or a watcher event arrives, or time moves to the next timer. */
  private async step(): Promise<void> {
    this.steps++;
    const waiting = this.scheduler.waiting;
    const queued = this.devices.filter((d) => d.watcher && d.watcher.queue.length > 0);
    const choice = Math.floor(this.pick() * (waiting + queued.length));
    if (choice < waiting) {
      this.scheduler.release(choice);
    } else if (queued.length > 0) {
      queued[choice - waiting]!.watcher!.deliver(Math.floor(this.pick() * 1000));
    } else {
      const next = this.clock.nextDue();
      if (next !== null) this.clock.advance(next - this.clock.now());
    }
    await this.scheduler.settle();
  }

  /** Runs without faults until every folder equals the service and stays so over a safety-scan interval. */
  private async heal(budget: number): Promise<boolean> {
    const HOUR = 60 * 60 * 1000;
    let confirmAt: number | null = null;
    for (let i = 0; i < budget; i++) {
      if (this.scheduler.waiting > 0 || this.devices.some((d) => d.watcher && d.watcher.queue.length > 0)) {
        await this.step();
        continue;
      }
      if (this.converged()) {
        if (confirmAt !== null && this.clock.now() >= confirmAt) return true;
        confirmAt ??= this.clock.now() + SAFETY_SCAN_MS + 1;
      } else {
        confirmAt = null;
      }
      const next = this.clock.nextDue();
      if (next === null || this.clock.now() > Date.UTC(2026, 0, 1) + 24 * HOUR) return false;
      this.clock.advance(next - this.clock.now());
      this.steps++;
      await this.scheduler.settle();
    }
    return false;
  }

  // ---- users --------------------------------------------------------------------

  private user(action: UserAction): void {
    const device = this.devices[action.device]!;
    const { fs } = device;
    const abs = (path: string) => posix.join(ROOT_DIR, path);
    const parentIsFolder = (path: string) => {
      const parent = posix.dirname(abs(path));
      return fs.exists(parent) && fs.lstatNow(parent).isDirectory();
    };
    // On this case-sensitive disk two names differing only by case are two files; the service refuses the
    // second (case_conflict), which a user of one Linux device rarely meets: a user does not create them side by side.
    const caseFree = (path: string, except?: string) => {
      const parent = posix.dirname(abs(path));
      if (!fs.exists(parent)) return true;
      const key = posix.basename(path).toLowerCase();
      return !fs.readdirNow(parent).some((entry) => entry.name.toLowerCase() === key && posix.join(parent, entry.name) !== abs(except ?? path));
    };
    const kindAt = (path: string) => (fs.exists(abs(path)) ? (fs.lstatNow(abs(path)).isDirectory() ? 'folder' : 'file') : null);
    switch (action.type) {
      case 'write': {
        if (!parentIsFolder(action.path) || kindAt(action.path) === 'folder' || (kindAt(action.path) === null && !caseFree(action.path))) return;
        if (kindAt(action.path) === 'file') this.edited(fs.readFileNow(abs(action.path)));
        fs.writeFileNow(abs(action.path), this.content(device.name, action.large));
        this.log(`${device.name} writes ${action.path}`);
        return;
      }
      case 'save': {
        // An editor's save: a new file under a temp name (ignored), renamed over the old one.
        if (!parentIsFolder(action.path) || kindAt(action.path) !== 'file') return;
        const temp = `${abs(action.path)}.tmp`;
        if (fs.exists(temp)) return;
        fs.writeFileNow(temp, this.content(device.name, false));
        this.edited(fs.readFileNow(abs(action.path)));
        fs.renameNow(temp, abs(action.path));
        this.log(`${device.name} saves ${action.path} (new inode)`);
        return;
      }
      case 'mkdir':
        if (!parentIsFolder(action.path) || kindAt(action.path) !== null || !caseFree(action.path)) return;
        fs.mkdirNow(abs(action.path));
        this.log(`${device.name} mkdir ${action.path}`);
        return;
      case 'delete':
        if (kindAt(action.path) === null) return;
        // Emptying the whole folder stops the sync by design (an unmounted disk looks the same:
        // sync_root_missing, test/sync/watching.test.ts); users here leave something in it.
        if (fs.readdirNow(ROOT_DIR).filter((entry) => entry.name !== '.netdisk-sync').length === 1 && posix.dirname(abs(action.path)) === ROOT_DIR) return;
        this.removedByUser.add(action.path);
        fs.rmNow(abs(action.path), { recursive: true });
        this.log(`${device.name} deletes ${action.path}`);
        return;
      case 'move': {
        const { from, to } = action;
        if (kindAt(from) === null || !parentIsFolder(to) || isSameOrBelow(to, from)) return;
        const caseOnly = from.toLowerCase() === to.toLowerCase();
        if (kindAt(to) !== null || !caseFree(to, caseOnly ? from : undefined)) return;
        this.removedByUser.add(from);
        fs.renameNow(abs(from), abs(to));
        this.log(`${device.name} moves ${from} -> ${to}`);
        return;
      }
      case 'kind': {
        const kind = kindAt(action.path);
        if (kind === null) return;
        this.removedByUser.add(action.path);
        fs.rmNow(abs(action.path), { recursive: true });
        if (kind === 'file') fs.mkdirNow(abs(action.path));
        else fs.writeFileNow(abs(action.path), this.content(device.name, false));
        this.log(`${device.name} turns ${action.path} from a ${kind} into the other kind`);
        return;
      }
    }
  }

  private edited(old: Uint8Array): void {
    this.editedByUser.add(hashBytes(old).contentHash);
  }

  /** A new version nobody wrote before; large ones take the chunked upload path. */
  private content(device: string, large: boolean): Uint8Array {
    const text = `${device} version ${++this.writes}\n`;
    const bytes = new TextEncoder().encode(large ? text.repeat(Math.ceil(300_000 / text.length)) : text);
    this.userVersions.add(hashBytes(bytes).contentHash);
    return bytes;
  }

  // ---- invariants -----------------------------------------------------------------

  /** Each device's synced files and folders: relative path -> 'folder' or the content hash. */
  tree(device: SimDevice): Map<string, string> {
    const out: [string, string][] = [];
    for (const [rel, entry] of device.fs.walk(ROOT_DIR)) {
      if (rel === '.netdisk-sync' || rel.startsWith('.netdisk-sync/')) continue;
      out.push([`/${rel}`, entry.kind === 'folder' ? 'folder' : hashBytes(entry.data).contentHash.slice(0, 12)]);
    }
    return inPathOrder(out);
  }

  private serviceTree(): Map<string, string> {
    return inPathOrder([...this.service.entries].map(([path, node]) => [path, node.kind === 'folder' ? 'folder' : node.contentHash!.slice(0, 12)]));
  }

  converged(): boolean {
    const service = JSON.stringify([...this.serviceTree()]);
    return this.devices.every((device) => JSON.stringify([...this.tree(device)]) === service);
  }

  describeTrees(): string {
    const show = (tree: Map<string, string>) => [...tree].map(([path, what]) => `${path}=${what}`).join(' ');
    return [`  service: ${show(this.serviceTree())}`, ...this.devices.map((d) => `  ${d.name}: ${show(this.tree(d))}`)].join('\n');
  }

  /** Versions users wrote that some device holds in its folder now: hash -> where. */
  private userVersionsOnDevices(): Map<string, string> {
    const out = new Map<string, string>();
    for (const device of this.devices) {
      for (const [rel, entry] of device.fs.walk(ROOT_DIR)) {
        if (entry.kind !== 'file' || rel.startsWith('.netdisk-sync/')) continue;
        const hash = hashBytes(entry.data).contentHash;
        if (this.userVersions.has(hash) && !out.has(hash)) out.set(hash, `${device.name}:/${rel}`);
      }
    }
    return out;
  }

  /** Every content hash held anywhere a user can get it back: folders (conflicted copies too), local trashes, the service and its trash. */
  private everyKeptVersion(): Set<string> {
    const kept = new Set<string>();
    for (const node of this.service.entries.values()) if (node.contentHash) kept.add(node.contentHash);
    for (const item of this.service.trash) for (const node of item.nodes) if (node.contentHash) kept.add(node.contentHash);
    for (const device of this.devices) {
      for (const dir of [ROOT_DIR, `${STATE_DIR}/trash`]) {
        for (const [rel, entry] of device.fs.walk(dir)) {
          if (entry.kind === 'file' && !rel.startsWith('.netdisk-sync/')) kept.add(hashBytes(entry.data).contentHash);
        }
      }
    }
    return kept;
  }
}
