import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedService, type ForkScript } from './embeddedService.js';

// The real bin/netdisk-server.js (needs `npm run build`), forked as Node processes here and as a utilityProcess by Electron.
const nodeFork: ForkScript = (script, args, env) => fork(script, args, { stdio: 'ignore', env: { ...process.env, ...env } });

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('startEmbeddedService', () => {
  it('runs netdisk-server on loopback until stopped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'embedded-service-'));
    dirs.push(dataDir);
    const service = await startEmbeddedService({ fork: nodeFork, scriptPath: 'bin/netdisk-server.js', dataDir });
    try {
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${service.url}/api/v1/health`);
      expect(health.status).toBe(200);
    } finally {
      await service.stop();
    }
    await expect(fetch(`${service.url}/api/v1/health`)).rejects.toThrow();
  });

  it('with the QQ stand-in, the service sends QQ sign-in to the stand-in, and stop ends both', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'embedded-service-'));
    dirs.push(dataDir);
    const service = await startEmbeddedService({ fork: nodeFork, scriptPath: 'bin/netdisk-server.js', dataDir, qqStandinScript: 'dist/test/qqStandin/main.js' });
    let standin: URL;
    try {
      const authorize = new URL(`${service.url}/api/v1/auth/oauth/qq/authorize`);
      authorize.search = new URLSearchParams({
        redirect_uri: 'http://127.0.0.1:4567/callback', state: 'client-state', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      }).toString();
      const answer = await fetch(authorize, { redirect: 'manual' });
      expect(answer.status).toBe(302);
      standin = new URL(answer.headers.get('location')!);
      expect(standin.hostname).toBe('127.0.0.1');
      expect(standin.pathname).toBe('/oauth2.0/authorize');
      expect((await fetch(standin)).status).toBe(200);
    } finally {
      await service.stop();
    }
    await expect(fetch(standin)).rejects.toThrow();
  });

  it('reports a service that exits before it answers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'embedded-service-'));
    dirs.push(dataDir);
    const broken: ForkScript = (script, args) => fork(script, [...args, '--chunk-size', '7'], { stdio: 'ignore' });
    await expect(startEmbeddedService({ fork: broken, scriptPath: 'bin/netdisk-server.js', dataDir })).rejects.toMatchObject({ code: 'embedded_service_failed' });
  });
});
