import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 server binaries (initdb, pg_ctl); PG_BIN points elsewhere. */
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** initdb and postgres refuse to run as root: as root they run as this user. */
const SERVICE_USER = 'postgres';

/** A running PostgreSQL server in a scratch folder, reachable over loopback TCP without a password. */
export interface PostgresInfo {
  dir: string;
  port: number;
  /** The superuser's URL of the `postgres` database: create and drop test databases through it. */
  adminUrl: string;
}

/** Why PostgreSQL cannot run here, or undefined when it can. */
export function postgresMissing(): string | undefined {
  return existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'))
    ? undefined
    : `PostgreSQL is not installed (no ${BIN}/initdb); apt-get install postgresql`;
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the service user when this process is root. */
function pgTool(tool: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const path = join(BIN, tool);
  return asRoot ? run('runuser', ['-u', SERVICE_USER, '--', path, ...args]) : run(path, args);
}

/**
 * Starts a throwaway server: initdb in a temp folder (trust authentication,
 * superuser `postgres`), then postgres on a free loopback port with its
 * socket in that folder. Durability is off (fsync, synchronous_commit): the
 * data is thrown away, and the tests check the service's locking and
 * ordering, not the disk. Retries on a port taken meanwhile.
 */
export async function startPostgres(attempts = 3): Promise<PostgresInfo> {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', SERVICE_USER]);
    const { stdout: gid } = await run('id', ['-g', SERVICE_USER]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  await pgTool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const options = [
      `-p ${port}`, '-c listen_addresses=127.0.0.1', `-k ${dir}`,
      '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=300',
    ].join(' ');
    try {
      await pgTool('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'log'), '-o', options]);
      return { dir, port, adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres` };
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}

/** Stops the server at once (its data is thrown away) and deletes its folder. */
export async function stopPostgres(info: Pick<PostgresInfo, 'dir'>): Promise<void> {
  await pgTool('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', join(info.dir, 'data')]).catch(() => {});
  rmSync(info.dir, { recursive: true, force: true });
}

async function asAdmin<T>(info: PostgresInfo, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: info.adminUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A new empty database for one test service; its URL. */
export async function createDatabase(info: PostgresInfo): Promise<string> {
  const name = `netdisk_${randomBytes(6).toString('hex')}`;
  await asAdmin(info, (client) => client.query(`CREATE DATABASE ${name}`));
  return `postgres://postgres@127.0.0.1:${info.port}/${name}`;
}

/** Drops a database made by `createDatabase`, cutting connections still open to it. */
export async function dropDatabase(info: PostgresInfo, url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^netdisk_[0-9a-f]+$/.test(name)) throw new Error(`not a test database: ${name}`);
  await asAdmin(info, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
