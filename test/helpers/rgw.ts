import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { bindAndRelease } from './ports.js';

const run = promisify(execFile);

/** A running single-node Ceph RGW: a real S3 server that enforces SigV4 signatures. */
export interface RgwInfo {
  /** Scratch folder holding ceph.conf, the daemons' data, logs and pid files. */
  dir: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export const RGW_REGION = 'us-east-1';

/** Why RGW cannot run on this machine, or undefined when it can. */
export function rgwMissing(): string | undefined {
  const tools = ['radosgw', 'radosgw-admin', 'ceph-mon', 'ceph-osd', 'ceph', 'monmaptool', 'ceph-authtool'];
  const path = (process.env.PATH ?? '').split(delimiter);
  const missing = tools.filter((tool) => !path.some((dir) => existsSync(join(dir, tool))));
  return missing.length === 0
    ? undefined
    : `Ceph RGW is not installed (missing ${missing.join(', ')}); apt-get install radosgw ceph-mon ceph-osd`;
}

/**
 * A port free on loopback right now, below Linux's ephemeral range
 * (32768-60999), chosen at random: bind(0) hands out ports from that range,
 * so two clusters starting at once (the run's shared one and s3Store's own)
 * or any outgoing connection could be given the port a monitor was about
 * to bind, and an OSD then met a stranger's monitor ("wrong fsid").
 */
async function freeQuietPort(): Promise<number> {
  for (;;) {
    const port = await bindAndRelease(20_000 + Math.floor(Math.random() * 10_000));
    if (port !== null) return port;
  }
}

function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
pid file = ${dir}/run/$name.pid
keyring = ${dir}/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon max pg per osd = 1000
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = ${6 * 1024 ** 3}
[mon.a]
mon data = ${dir}/mon.a
[osd.0]
osd data = ${dir}/osd.0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
# Deleted objects' data is freed by RGW's garbage collector, by default hours later; memstore keeps it in RAM till then.
rgw gc obj min wait = 0
rgw gc processor period = 5
`;
}

/**
 * Starts mon, one memstore OSD and the gateway in a fresh temp folder, on
 * free loopback ports, with an S3 user (the recipe in TOOLCHAIN.md 3(b)).
 * About 11 s; stop it with `stopRgw`. The daemons fork before they bind, so
 * a port taken in between (by another run on this machine) shows up only
 * later, as a monitor answering with a stranger's fsid: then it starts over
 * on other ports.
 */
export async function startRgw(attempts = 5): Promise<RgwInfo> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startRgwOnce();
    } catch (error) {
      if (attempt >= attempts) throw error;
      // Two clusters started at once can still fail together ("wrong fsid" at the OSD's first
      // command, though each answers `ceph fsid` with its own): they must not retry in step.
      await sleep(500 + Math.random() * 3_000);
    }
  }
}

async function startRgwOnce(): Promise<RgwInfo> {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-rgw-'));
  try {
    for (const sub of ['run', 'log', 'mon.a', 'osd.0', 'rgw']) mkdirSync(join(dir, sub));
    const fsid = randomUUID();
    const monPort = await freeQuietPort();
    let rgwPort = await freeQuietPort();
    while (rgwPort === monPort) rgwPort = await freeQuietPort();
    const conf = join(dir, 'ceph.conf');
    writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort));
    await run('ceph-authtool', ['--create-keyring', join(dir, 'keyring'), '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    await run('monmaptool', ['--create', '--addv', 'a', `v1:127.0.0.1:${monPort}`, '--fsid', fsid, join(dir, 'monmap')]);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', join(dir, 'keyring')]);
    await run('ceph-mon', ['-c', conf, '-i', 'a']);
    // The monitor forks before it binds: make sure the one answering on monPort is ours before an OSD joins it.
    const answering = (await run('ceph', ['-c', conf, 'fsid'])).stdout.trim();
    if (answering !== fsid) throw new Error(`another cluster's monitor (fsid ${answering}) answers on port ${monPort}`);
    const uuid = randomUUID();
    const osdId = (await run('ceph', ['-c', conf, 'osd', 'new', uuid])).stdout.trim();
    await run('ceph-osd', ['-c', conf, '-i', osdId, '--mkfs', '--osd-uuid', uuid]);
    await run('ceph-osd', ['-c', conf, '-i', osdId]);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await startGateway({ dir, endpoint });
    return { dir, endpoint, ...await addRgwUser({ dir }, 'netdisk') };
  } catch (error) {
    await stopRgw({ dir });
    throw error;
  }
}

/** S3 keys of one RGW user. */
export interface RgwKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Another S3 user in `info`'s RGW with fresh keys: a test that revokes them touches nobody else's. */
export async function addRgwUser(info: Pick<RgwInfo, 'dir'>, uid: string): Promise<RgwKeys> {
  const keys = { accessKeyId: `AK${randomUUID().replaceAll('-', '').slice(0, 18).toUpperCase()}`, secretAccessKey: randomUUID() + randomUUID() };
  await run('radosgw-admin', ['-c', join(info.dir, 'ceph.conf'), 'user', 'create', `--uid=${uid}`, `--display-name=${uid}`,
    `--access-key=${keys.accessKeyId}`, `--secret-key=${keys.secretAccessKey}`]);
  return keys;
}

/** Revokes a user's S3 key, as an operator rotating it does: requests signed with it get 403 InvalidAccessKeyId. */
export async function removeRgwKey(info: Pick<RgwInfo, 'dir'>, uid: string, accessKeyId: string): Promise<void> {
  await run('radosgw-admin', ['-c', join(info.dir, 'ceph.conf'), 'key', 'rm', `--uid=${uid}`, `--access-key=${accessKeyId}`]);
}

/** Gives a user back a key (the same one, as an operator's fix would restore it). */
export async function restoreRgwKey(info: Pick<RgwInfo, 'dir'>, uid: string, keys: RgwKeys): Promise<void> {
  await run('radosgw-admin', ['-c', join(info.dir, 'ceph.conf'), 'key', 'create', `--uid=${uid}`, '--key-type=s3',
    `--access-key=${keys.accessKeyId}`, `--secret-key=${keys.secretAccessKey}`]);
}

/** Starts (again) just the gateway, and waits until it answers HTTP. */
export async function startGateway(info: Pick<RgwInfo, 'dir' | 'endpoint'>): Promise<void> {
  await run('radosgw', ['-c', join(info.dir, 'ceph.conf'), '-n', 'client.rgw.a']);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await fetch(`${info.endpoint}/`);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`radosgw did not answer at ${info.endpoint}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Frees the data of deleted objects now, rather than at RGW's next
 * collection (memstore holds it in RAM, and fills up after a few GiB).
 */
export async function collectRgwGarbage(info: Pick<RgwInfo, 'dir'>): Promise<void> {
  await run('radosgw-admin', ['-c', join(info.dir, 'ceph.conf'), 'gc', 'process', '--include-all']);
}

/** Stops just the gateway (mon and OSD keep the data), as an outage of the S3 endpoint; SIGKILL for a crash. */
export async function stopGateway(info: Pick<RgwInfo, 'dir'>, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await killAndWait(info.dir, ['client.rgw.a'], signal);
}

/** Stops every daemon, waits until their processes are gone, and removes the folder. */
export async function stopRgw(info: Pick<RgwInfo, 'dir'>): Promise<void> {
  await killAndWait(info.dir, ['client.rgw.a', 'osd.0', 'mon.a']);
  rmSync(info.dir, { recursive: true, force: true });
}

async function killAndWait(dir: string, names: readonly string[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const pids: number[] = [];
  for (const name of names) {
    const file = join(dir, 'run', `${name}.pid`);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, signal);
      pids.push(pid);
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 30_000;
  while (pids.some(alive)) {
    if (Date.now() > deadline) {
      for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const name of names) rmSync(join(dir, 'run', `${name}.pid`), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
