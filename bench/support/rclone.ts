import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, stopChild, waitUntilUp } from './service.js';

const USER = 'u';
const PASS = 'bench-pass';

/**
 * The baseline peer: `rclone serve webdav` on 127.0.0.1 into a fresh folder,
 * with its config kept in a temp dir (rclone writes to $XDG_CONFIG_HOME).
 * AWS_CA_BUNDLE is dropped: rclone 1.60 refuses to start with it set.
 */
export class RcloneWebdav {
  private constructor(
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly url: string,
    private readonly stopServer: () => Promise<void>,
  ) {}

  static async start(parentDir: string): Promise<RcloneWebdav> {
    const home = mkdtempSync(join(parentDir, 'rclone-'));
    const target = join(home, 'served');
    mkdirSync(target);
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache') };
    delete env.AWS_CA_BUNDLE;
    const port = await freePort();
    const child = spawn('rclone', ['serve', 'webdav', target, '--addr', `127.0.0.1:${port}`, '--user', USER, '--pass', PASS],
      { stdio: ['ignore', 'ignore', 'ignore'], env });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilUp(url, child, 'rclone serve webdav');
    } catch (error) {
      await stopChild(child);
      rmSync(home, { recursive: true, force: true });
      throw error;
    }
    return new RcloneWebdav(home, env, url, async () => {
      await stopChild(child);
      rmSync(home, { recursive: true, force: true });
    });
  }

  /** `rclone copy folder :webdav:` with its default settings; returns wall seconds. */
  copy(folder: string): number {
    const obscured = execFileSync('rclone', ['obscure', PASS], { env: this.env, encoding: 'utf8' }).trim();
    const start = performance.now();
    execFileSync('rclone', ['copy', folder, ':webdav:', '--webdav-url', this.url, '--webdav-user', USER, '--webdav-pass', obscured],
      { env: this.env, stdio: ['ignore', 'ignore', 'inherit'] });
    return (performance.now() - start) / 1000;
  }

  stop(): Promise<void> {
    return this.stopServer();
  }
}
