import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

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

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
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
 * later, as an OSD that meets a stranger's monitor: then it starts over on
 * other ports.
 */
export async function startRgw(attempts = 3): Promise<RgwInfo> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startRgwOnce();
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}

async function startRgwOnce(): Promise<RgwInfo> {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-rgw-'));
  try {
    for (const sub of ['run', 'log', 'mon.a', 'osd.0', 'rgw']) mkdirSync(join(dir, sub));
    const fsid = randomUUID();
    const [monPort, rgwPort] = [await freePort(), await freePort()];
    const conf = join(dir, 'ceph.conf');
    writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort));
    await run('ceph-authtool', ['--create-keyring', join(dir, 'keyring'), '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    await run('monmaptool', ['--create', '--addv', 'a', `v1:127.0.0.1:${monPort}`, '--fsid', fsid, join(dir, 'monmap')]);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', join(dir, 'keyring')]);
    await run('ceph-mon', ['-c', conf, '-i', 'a']);
    const uuid = randomUUID();
    const osdId = (await run('ceph', ['-c', conf, 'osd', 'new', uuid])).stdout.trim();
    await run('ceph-osd', ['-c', conf, '-i', osdId, '--mkfs', '--osd-uuid', uuid]);
    await run('ceph-osd', ['-c', conf, '-i', osdId]);
    const info: RgwInfo = {
      dir,
      endpoint: `http://127.0.0.1:${rgwPort}`,
      accessKeyId: `AK${randomUUID().replaceAll('-', '').slice(0, 18).toUpperCase()}`,
      secretAccessKey: randomUUID() + randomUUID(),
    };
    await startGateway(info);
    await run('radosgw-admin', ['-c', conf, 'user', 'create', '--uid=netdisk', '--display-name=netdisk',
      `--access-key=${info.accessKeyId}`, `--secret-key=${info.secretAccessKey}`]);
    return info;
  } catch (error) {
    await stopRgw({ dir });
    throw error;
  }
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
