import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, stopChild } from './service.js';

/** Wall seconds of a command (it must succeed). */
function timed(command: string, args: readonly string[]): number {
  const start = performance.now();
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - start) / 1000;
}

/**
 * `rsync -a` to an rsync daemon on 127.0.0.1 (a free port) into a fresh
 * module folder: the classic "copy a tree to a server" baseline. The daemon
 * runs as the caller (uid/gid in rsyncd.conf), without chroot.
 */
export class RsyncDaemon {
  private constructor(private readonly home: string, private readonly url: string, private readonly stopDaemon: () => Promise<void>) {}

  static async start(parentDir: string): Promise<RsyncDaemon> {
    const home = mkdtempSync(join(parentDir, 'rsyncd-'));
    mkdirSync(join(home, 'served'));
    const conf = join(home, 'rsyncd.conf');
    writeFileSync(conf, [
      `uid = ${process.getuid?.() ?? 0}`, `gid = ${process.getgid?.() ?? 0}`, 'use chroot = false',
      `pid file = ${join(home, 'rsyncd.pid')}`, `log file = ${join(home, 'rsyncd.log')}`,
      '[target]', `path = ${join(home, 'served')}`, 'read only = false', '',
    ].join('\n'));
    const port = await freePort();
    const child = spawn('rsync', ['--daemon', '--no-detach', `--config=${conf}`, '--address=127.0.0.1', `--port=${port}`], { stdio: 'ignore' });
    const url = `rsync://127.0.0.1:${port}/target/`;
    const stop = async () => {
      await stopChild(child);
      rmSync(home, { recursive: true, force: true });
    };
    for (let attempt = 0; ; attempt++) {
      try {
        execFileSync('rsync', ['--list-only', url], { stdio: 'ignore' });
        break;
      } catch (error) {
        if (attempt >= 50 || child.exitCode !== null) {
          await stop();
          throw new Error(`the rsync daemon did not come up on port ${port}`, { cause: error });
        }
        await sleep(100);
      }
    }
    return new RsyncDaemon(home, url, stop);
  }

  /** `rsync -a folder/ rsync://…/target/`; returns wall seconds. */
  copy(folder: string): number {
    return timed('rsync', ['-a', `${folder}/`, this.url]);
  }

  stop(): Promise<void> {
    return this.stopDaemon();
  }
}

/** `cp -a folder dest` then `sync`: a durable local copy, the floor for a one-machine transfer. Returns wall seconds. */
export function durableCopy(folder: string, parentDir: string): number {
  const dest = mkdtempSync(join(parentDir, 'cp-'));
  try {
    const start = performance.now();
    execFileSync('cp', ['-a', `${folder}/.`, dest], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('sync', [], { stdio: 'ignore' });
    return (performance.now() - start) / 1000;
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}
