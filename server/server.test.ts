import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from '../test/helpers/accounts.js';
import { dropTestDatabase, freshDatabaseUrl } from '../test/helpers/testDatabase.js';
import { allMigrations } from './app.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/api/v1/health`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the service did not come up');
}

describe('netdisk-server (the built binary)', () => {
  it('starts with nothing set up, keeps its secret 0600, and on SIGTERM finishes in-flight requests and closes the DB', async () => {
    const data = mkdtempSync(join(tmpdir(), 'netdisk-srv-'));
    dirs.push(data);
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/netdisk-server.js', '--port', String(port), '--data', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(url);
      expect(statSync(join(data, 'signing-keys.json')).mode & 0o777).toBe(0o600);
      const register = await fetch(`${url}/api/v1/auth/register`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'shutdown', password: TEST_PASSWORD }),
      });
      expect(register.status).toBe(201);
      const login = await (await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'shutdown', password: TEST_PASSWORD }),
      })).json() as { accessToken: string };
      // A long poll in flight when SIGTERM arrives is answered, not cut.
      const poll = fetch(`${url}/api/v1/changes?cursor=0&wait=30`, { headers: { authorization: `Bearer ${login.accessToken}` } });
      await new Promise((r) => setTimeout(r, 300));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const answer = await poll;
      expect(answer.status).toBe(200);
      expect(await exited).toBe(0);
      // A clean close checkpoints the WAL away.
      expect(existsSync(join(data, 'netdisk.sqlite-wal'))).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(stderr).not.toMatch(/error/i);
  });

  it('migrate applies the schema steps to an empty database, prints them, and then finds nothing to do', async () => {
    const data = mkdtempSync(join(tmpdir(), 'netdisk-migrate-'));
    dirs.push(data);
    // The run's database: the data folder's SQLite, or in the PostgreSQL run a fresh database.
    const databaseUrl = await freshDatabaseUrl();
    const env = { ...process.env, ...(databaseUrl ? { NETDISK_DATABASE_URL: databaseUrl } : {}) };
    try {
      const migrate = () => new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/netdisk-server.js', 'migrate', '--data', data], { stdio: ['ignore', 'pipe', 'inherit'], env });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
        child.once('exit', (code) => resolve({ code, stdout }));
      });
      const first = await migrate();
      expect(first.code).toBe(0);
      const ids = [...allMigrations().sqlite].map((step) => step.id);
      expect(first.stdout).toContain(`applied ${ids.length} step(s)`);
      for (const id of ids) expect(first.stdout).toContain(`  ${id}\n`);
      const again = await migrate();
      expect([again.code, again.stdout.trim()]).toEqual([0, expect.stringMatching(/is up to date$/)]);
    } finally {
      await dropTestDatabase(databaseUrl);
    }
  }, 90_000);

  it('refuses a bad flag with a usage message and exit code 2', async () => {
    const child = spawn(process.execPath, ['bin/netdisk-server.js', '--port', 'nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('usage: netdisk-server');
  });
});
