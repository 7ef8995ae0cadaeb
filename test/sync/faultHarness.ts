import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCredentialStore } from '../../app/auth/fileCredentialStore.js';
import type { SyncEngineOptions } from '../../app/engine/syncEngine.js';
import { SyncClient, type SyncClientOptions } from '../../app/syncClient.js';
import type { FaultProxy, SeenRequest } from '../helpers/faultProxy.js';
import { TEST_PASSWORD } from '../helpers/accounts.js';

/** The service's default upload chunk and the engine's download range: 8 MiB. */
export const CHUNK = 8 * 1024 * 1024;
/** Chunks of one file the engine keeps in flight (its default chunkConcurrency). */
export const CHUNKS_IN_FLIGHT = 3;
/** Retries fast enough for tests, with enough attempts to outlast a service restart. */
export const FAST_BACKOFF = { baseMs: 20, maxMs: 300, maxAttempts: 12 };

/** Random (incompressible, never deduplicated) bytes. */
export function randomContent(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  const piece = 16 * 1024 * 1024;
  for (let at = 0; at < size; at += piece) randomBytes(Math.min(piece, size - at)).copy(out, at);
  return out;
}

export function writeRandomFile(path: string, size: number): Buffer {
  const bytes = randomContent(size);
  writeFileSync(path, bytes);
  return bytes;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `netdisk-${prefix}-`));
}

type RequestLine = Pick<SeenRequest, 'method' | 'url'>;

export const isChunkPut = (r: RequestLine) => r.method === 'PUT' && /^\/api\/v1\/uploads\/[^/]+\/chunks\/\d+/.test(r.url);
export const isContentGet = (r: RequestLine) => r.method === 'GET' && r.url.startsWith('/api/v1/files/content');

/** Body bytes the service received in chunk PUTs (as forwarded by the proxy). */
export function chunkBytesSent(proxy: FaultProxy): number {
  return proxy.seen.filter(isChunkPut).reduce((sum, r) => sum + r.requestBytes, 0);
}

/** Body bytes the service sent for file downloads (as read by the proxy). */
export function contentBytesServed(proxy: FaultProxy): number {
  return proxy.seen.filter(isContentGet).reduce((sum, r) => sum + r.responseBytes, 0);
}

/** Resolves once `condition` holds; polls, because the thing watched is another process or socket. */
export async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * An in-process client for `folder`, signed in as `username` through `server`
 * (usually a fault proxy); tokens go to a file store in the state dir, so no
 * keychain is needed.
 */
export async function openClient(options: {
  server: string;
  folder: string;
  username: string;
  /** Defaults to `<folder>/.netdisk-sync`. */
  stateDir?: string;
  engine?: Partial<Omit<SyncEngineOptions, 'root' | 'stateDir'>>;
  transport?: SyncClientOptions['transport'];
}): Promise<SyncClient> {
  const stateDir = options.stateDir ?? join(options.folder, '.netdisk-sync');
  const client = await SyncClient.open({
    server: options.server,
    folder: options.folder,
    stateDir,
    warn: () => {},
    credentials: new FileCredentialStore(stateDir),
    engine: { backoff: FAST_BACKOFF, ...options.engine },
    ...(options.transport ? { transport: options.transport } : {}),
  });
  try {
    await client.login(options.username, TEST_PASSWORD);
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}
