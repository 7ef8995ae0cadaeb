import { join } from 'node:path';
import { createUploadResponse, entryResponse, uploadStatusSchema, type CreateUploadResponse, type Entry, type UploadStatus } from '../../protocol/api.js';
import { hashBytes } from '../../protocol/contentHash.js';
import type { ServerConfig } from '../../server/config.js';
import { DATABASE_FILE } from '../../server/metadata.js';
import type { BlobPlace } from './blobBackends.js';
import { queryDatabase } from './serverDb.js';
import { jsonRequest, type JsonResponse } from './jsonRequest.js';

type Auth = { authorization: string };

/** The `POST /uploads` body for `bytes` at `path`, plus any overrides. */
export function uploadRequest(path: string, bytes: Uint8Array, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { contentHash, blockHashes, size } = hashBytes(bytes);
  return { path, size, contentHash, blockHashes, mtime: 1_700_000_000_000, ...extra };
}

export async function createUpload(api: string, auth: Auth, body: Record<string, unknown>): Promise<JsonResponse & { created?: CreateUploadResponse }> {
  const response = await jsonRequest(api, 'POST', '/uploads', { headers: auth, body });
  const parsed = createUploadResponse.safeParse(response.body);
  return parsed.success ? { ...response, created: parsed.data } : response;
}

export async function putChunk(api: string, auth: Auth, uploadId: string, n: number, bytes: Uint8Array): Promise<JsonResponse> {
  const response = await fetch(`${api}/uploads/${uploadId}/chunks/${n}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

export function chunkOf(bytes: Uint8Array, chunkSize: number, n: number): Uint8Array {
  return bytes.subarray(n * chunkSize, (n + 1) * chunkSize);
}

/** Sends the chunks `which` of an upload session, in order; each must be accepted. */
export async function putChunks(api: string, auth: Auth, status: UploadStatus, bytes: Uint8Array, which: readonly number[]): Promise<UploadStatus> {
  let latest = status;
  for (const n of which) {
    const response = await putChunk(api, auth, status.uploadId, n, chunkOf(bytes, status.chunkSize, n));
    if (response.status !== 200) throw new Error(`chunk ${n} answered ${response.status}: ${JSON.stringify(response.body)}`);
    latest = uploadStatusSchema.parse(response.body);
  }
  return latest;
}

/** The whole chunked flow, for tests that need content on the service. */
export async function uploadFile(api: string, auth: Auth, path: string, bytes: Uint8Array, extra: Record<string, unknown> = {}): Promise<Entry> {
  const { created, status, body } = await createUpload(api, auth, uploadRequest(path, bytes, extra));
  if (created?.status === 'done') return created.entry;
  if (created?.status !== 'upload') throw new Error(`create answered ${status}: ${JSON.stringify(body)}`);
  await putChunks(api, auth, created, bytes, Array.from({ length: created.chunkCount }, (_, n) => n));
  const completed = await jsonRequest(api, 'POST', `/uploads/${created.uploadId}/complete`, { headers: auth });
  if (completed.status !== 200) throw new Error(`complete answered ${completed.status}: ${JSON.stringify(completed.body)}`);
  return entryResponse.parse(completed.body).entry;
}

export async function download(api: string, auth: Auth, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(`${api}/files/content?path=${encodeURIComponent(path)}`, { headers: { ...auth, ...headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/**
 * What a refused request must leave alone: every row of every table, and
 * the stored blobs and staging areas as the content store shows them.
 */
export interface ServiceState {
  /** Every table's rows, each as JSON, sorted. */
  rows: Record<string, string[]>;
  blobs: string[];
  staging: string[];
}

export async function stateOf(config: ServerConfig, place: BlobPlace): Promise<ServiceState> {
  const where = { databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, DATABASE_FILE) };
  const tables = (await queryDatabase(where, where.databaseUrl === undefined
    ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY name")).map((row) => row.name as string);
  const rows: Record<string, string[]> = {};
  // Sorted here: PostgreSQL promises no row order without ORDER BY.
  for (const table of tables) rows[table] = (await queryDatabase(where, `SELECT * FROM "${table}"`)).map((row) => JSON.stringify(row)).sort();
  return { rows, ...await place.snapshot(config) };
}
