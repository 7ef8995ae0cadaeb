import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** Debian's nginx (`nginx-light` in scripts/system-packages.txt). */
const NGINX = '/usr/sbin/nginx';

/** Why nginx cannot run here, or undefined when it can. */
export function nginxMissing(): string | undefined {
  return existsSync(NGINX) ? undefined : `nginx is not installed (${NGINX} missing); apt-get install nginx-light`;
}

export interface LoadBalancerOptions {
  /** The services' ports on 127.0.0.1, in round-robin order. */
  upstreams: readonly number[];
  /** The port to listen on; a free one when absent (pass one to tell the services their public URL first). */
  port?: number;
  /**
   * Seconds nginx waits for an answer from a service. It must outlast the
   * longest change-feed long-poll (MAX_CHANGES_WAIT_SECONDS, 300 s), or
   * nginx would cut a quiet poll with 504.
   */
  readTimeoutSeconds?: number;
}

export interface AccessLogLine {
  method: string;
  uri: string;
  status: number;
  /** `127.0.0.1:PORT` of the service that answered; several, comma-separated, when nginx retried on another. */
  upstream: string;
}

export interface LoadBalancer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** `${url}/api/v1` */
  api: string;
  port: number;
  /** nginx's access log so far: which service answered which request. */
  accessLog(): AccessLogLine[];
  stop(): Promise<void>;
}

const LOG_FORMAT = '$request_method $request_uri $status $upstream_addr';

/**
 * nginx's config: loopback round robin, everything under `prefix` (pid, logs,
 * temp folders), nothing in /etc, /var or /run.
 */
function nginxConfig(prefix: string, port: number, options: LoadBalancerOptions): string {
  const readTimeout = options.readTimeoutSeconds ?? 330;
  // Run as root (tests here do), nginx's workers would switch to `nobody`,
  // which cannot enter the 0700 temp prefix: keep them the caller's user.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `${user}worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  log_format lb '${LOG_FORMAT}';
  access_log ${prefix}/access.log lb;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  upstream netdisk {
${options.upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    # Chunks are up to the service's chunk size and uploads stream through:
    # no body limit here (the service enforces its own) and no buffering of
    # request bodies or answers, so a chunk reaches the service as it arrives
    # and a download leaves as it is read.
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_connect_timeout 2s;
    proxy_read_timeout ${readTimeout}s;
    proxy_send_timeout ${readTimeout}s;
    client_body_timeout ${readTimeout}s;
    send_timeout ${readTimeout}s;
    # A service that refuses the connection (killed) is skipped; a request
    # already sent to it is not repeated by nginx, the client retries.
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries 2;
    location / { proxy_pass http://netdisk; }
  }
}
`;
}

async function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Debian's nginx as a loopback round-robin load balancer in front of
 * `upstreams`, from its own temp prefix (config, pid, logs, temp files), in
 * the foreground as the caller's child; `stop` ends it and removes the prefix.
 */
export async function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  const missing = nginxMissing();
  if (missing) throw new Error(missing);
  const prefix = mkdtempSync(join(tmpdir(), 'netdisk-nginx-'));
  mkdirSync(join(prefix, 'tmp'));
  const port = options.port ?? await freePort();
  const configFile = join(prefix, 'nginx.conf');
  writeFileSync(configFile, nginxConfig(prefix, port, options));
  // -e: errors before the config is read would otherwise go to /var/log/nginx.
  const child = spawn(NGINX, ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', configFile, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (part: Buffer) => { stderr += part.toString(); });
  const stop = async (): Promise<void> => {
    // SIGTERM is nginx's fast shutdown: open long-polls are cut, as a crash would.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
    rmSync(prefix, { recursive: true, force: true });
  };
  for (let attempt = 0; !(await acceptsConnections(port)); attempt++) {
    if (child.exitCode !== null || attempt >= 100) {
      const log = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
      await stop();
      throw new Error(`nginx did not start on port ${port}: ${stderr}${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    api: `${url}/api/v1`,
    port,
    accessLog: () => readFileSync(join(prefix, 'access.log'), 'utf8').split('\n').filter(Boolean).map((line) => {
      const [method = '', uri = '', status = '0', ...upstream] = line.split(' ');
      return { method, uri, status: Number(status), upstream: upstream.join(' ') };
    }),
    stop,
  };
}
