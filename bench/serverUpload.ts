/**
 * 1 GiB of random bytes uploaded over loopback in 8 MiB chunks, 4 in flight:
 * our service (create session, PUT chunks, complete; each chunk hashed,
 * checked against its block digests, written at its offset, made durable in
 * batches; the blob fsync'd and renamed) against a bare node:http server that streams the
 * same PUTs into a file at their offsets. Each server runs in its own worker
 * thread, as it would in its own process; the client runs on the main thread.
 * NETDISK_BENCH_DIR picks the disk (default: the OS temp folder); a tmpfs
 * there takes the disk out and leaves the CPU cost.
 *
 * The S3 case (when Ceph RGW is installed; NETDISK_BENCH_CASES=local,s3
 * picks the cases) uploads the same 1 GiB through the service configured
 * with NETDISK_BLOBS=s3 into a single-node RGW, against the AWS SDK's own
 * multipart upload (lib-storage, same part size and parallelism) of the
 * same bytes straight to that RGW, in the same run.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { hashBytes } from '../protocol/contentHash.js';
import { buildApp } from '../server/app.js';
import { s3Client, type S3Settings } from '../server/blobs/s3BlobStore.js';
import { loadConfig, type BlobsConfig } from '../server/config.js';
import { collectRgwGarbage, RGW_REGION, rgwMissing, startRgw, stopRgw, type RgwInfo } from '../test/helpers/rgw.js';

const SIZE = 1024 * 1024 * 1024;
const CHUNK = 8 * 1024 * 1024;
const PARALLEL = 4;
const RUNS = 3;
const BENCH_DIR = process.env.NETDISK_BENCH_DIR ?? tmpdir();
const CASES = new Set((process.env.NETDISK_BENCH_CASES ?? 'local,s3').split(','));

type Kind = 'service' | 'bare';
interface ServerReady { port: number }

// ---------------------------------------------------------------- servers (worker side)

async function startService(dataDir: string, blobs: BlobsConfig | undefined): Promise<number> {
  const config = loadConfig(['--data', dataDir, '--port', '0', '--chunk-size', String(CHUNK)], {});
  if (blobs) config.blobs = blobs;
  const app = await buildApp(config, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/**
 * The baseline: PUT /?offset=N streams the body into one preallocated file at
 * N. A 1 MiB write buffer lets the stream gather socket pieces into writev
 * calls; with the default 16 KiB it is much slower, and a weak baseline
 * would flatter the ratio.
 */
async function startBare(dataDir: string): Promise<number> {
  const target = join(dataDir, 'upload.bin');
  writeFileSync(target, '');
  truncateSync(target, SIZE);
  const server = createServer((req, res) => {
    const offset = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('offset'));
    pipeline(req, createWriteStream(target, { flags: 'r+', start: offset, highWaterMark: 1024 * 1024 }))
      .then(() => res.end('{}'))
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

if (!isMainThread) {
  const { kind, dataDir, blobs } = workerData as { kind: Kind; dataDir: string; blobs?: BlobsConfig };
  const port = kind === 'service' ? await startService(dataDir, blobs) : await startBare(dataDir);
  parentPort?.postMessage({ port } satisfies ServerReady);
}

// ---------------------------------------------------------------- client (main thread)

function call(agent: Agent, port: number, method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { ...headers, 'content-length': body?.length ?? 0 } }, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function expectOk(promise: Promise<{ status: number; json: unknown }>, what: string): Promise<unknown> {
  const { status, json } = await promise;
  if (status < 200 || status >= 300) throw new Error(`${what} answered ${status}: ${JSON.stringify(json)}`);
  return json;
}

async function inParallel(count: number, work: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < count) await work(next++);
  }));
}

async function startServer(kind: Kind, dataDir: string, blobs?: BlobsConfig): Promise<{ port: number; worker: Worker }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { kind, dataDir, blobs } });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { port: ready.port, worker };
}

const data = randomBytes(SIZE);
const digest = hashBytes(data);
const chunkCount = Math.ceil(SIZE / CHUNK);
const chunk = (n: number): Uint8Array => data.subarray(n * CHUNK, (n + 1) * CHUNK);

async function uploadToService(agent: Agent, port: number, run: number): Promise<number> {
  const json = { 'content-type': 'application/json' };
  const username = `bench${run}`;
  const credentials = JSON.stringify({ username, password: 'bench password 1234' });
  await expectOk(call(agent, port, 'POST', '/api/v1/auth/register', Buffer.from(credentials), json), 'register');
  const pair = await expectOk(call(agent, port, 'POST', '/api/v1/auth/login', Buffer.from(credentials), json), 'login') as { accessToken: string };
  const auth = { authorization: `Bearer ${pair.accessToken}` };

  const start = performance.now();
  const create = Buffer.from(JSON.stringify({ path: '/bench.bin', size: SIZE, contentHash: digest.contentHash, blockHashes: digest.blockHashes, mtime: 0 }));
  const session = await expectOk(call(agent, port, 'POST', '/api/v1/uploads', create, { ...auth, ...json }), 'create') as { uploadId: string };
  await inParallel(chunkCount, async (n) => {
    await expectOk(call(agent, port, 'PUT', `/api/v1/uploads/${session.uploadId}/chunks/${n}`, chunk(n), { ...auth, 'content-type': 'application/octet-stream' }), `chunk ${n}`);
  });
  const done = await expectOk(call(agent, port, 'POST', `/api/v1/uploads/${session.uploadId}/complete`, undefined, auth), 'complete') as { entry: { size: number } };
  const seconds = (performance.now() - start) / 1000;
  if (done.entry.size !== SIZE) throw new Error('the committed entry has the wrong size');
  return SIZE / 1e6 / seconds;
}

async function uploadToBare(agent: Agent, port: number): Promise<number> {
  const start = performance.now();
  await inParallel(chunkCount, async (n) => {
    await expectOk(call(agent, port, 'PUT', `/?offset=${n * CHUNK}`, chunk(n), { 'content-type': 'application/octet-stream' }), `chunk ${n}`);
  });
  return SIZE / 1e6 / ((performance.now() - start) / 1000);
}

async function measure(kind: Kind, run: number, blobs?: BlobsConfig): Promise<number> {
  const dataDir = mkdtempSync(join(BENCH_DIR, `netdisk-bench-${kind}-`));
  const { port, worker } = await startServer(kind, dataDir, blobs);
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
  try {
    return kind === 'service' ? await uploadToService(agent, port, run) : await uploadToBare(agent, port);
  } finally {
    agent.destroy();
    await worker.terminate();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The SDK's own multipart upload of the same bytes, straight to S3: what the service's S3 path is measured against. */
async function uploadDirect(settings: S3Settings, run: number): Promise<number> {
  const start = performance.now();
  await new Upload({
    client: s3Client(settings),
    params: { Bucket: settings.bucket, Key: `direct/${run}`, Body: data },
    partSize: CHUNK,
    queueSize: PARALLEL,
  }).done();
  return SIZE / 1e6 / ((performance.now() - start) / 1000);
}

/** RGW keeps objects in memory (memstore): empty the bucket and free the space between runs. */
async function emptyBucket(rgw: RgwInfo, settings: S3Settings): Promise<void> {
  const client = s3Client(settings);
  const listed = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket }));
  for (const object of listed.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: object.Key }));
  await collectRgwGarbage(rgw);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (values: number[]) => `median ${median(values).toFixed(0)} MB/s (runs: ${values.map((v) => v.toFixed(0)).join(', ')})`;

async function localCase(): Promise<void> {
  const service: number[] = [];
  const bare: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    bare.push(await measure('bare', run));
    service.push(await measure('service', run));
  }
  console.log(`1 GiB in ${CHUNK / 1024 / 1024} MiB chunks, ${PARALLEL} in flight, loopback, ${RUNS} runs each, data in ${BENCH_DIR}`);
  console.log(`bare node:http -> file: ${fmt(bare)}`);
  console.log(`netdisk service:        ${fmt(service)}`);
  console.log(`ratio service/bare: ${(median(service) / median(bare)).toFixed(2)} (target >= 0.70)`);
}

async function s3Case(): Promise<void> {
  const missing = rgwMissing();
  if (missing) {
    console.log(`S3 case skipped: ${missing}`);
    return;
  }
  const rgw = await startRgw();
  try {
    // The service and the SDK find these the standard way, as in production.
    process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
    const settings: S3Settings = { endpoint: rgw.endpoint, region: RGW_REGION, bucket: 'bench', prefix: 'netdisk/', forcePathStyle: true };
    await s3Client(settings).send(new CreateBucketCommand({ Bucket: settings.bucket }));
    const service: number[] = [];
    const direct: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      direct.push(await uploadDirect(settings, run));
      await emptyBucket(rgw, settings);
      service.push(await measure('service', 100 + run, { kind: 's3', ...settings, presign: false }));
      await emptyBucket(rgw, settings);
      console.log(`run ${run + 1}: direct ${direct.at(-1)!.toFixed(0)} MB/s, service ${service.at(-1)!.toFixed(0)} MB/s`);
    }
    console.log(`1 GiB in ${CHUNK / 1024 / 1024} MiB parts, ${PARALLEL} in flight, into Ceph RGW (memstore) on loopback, ${RUNS} runs each`);
    console.log(`SDK multipart upload straight to RGW: ${fmt(direct)}`);
    console.log(`netdisk service -> RGW:              ${fmt(service)}`);
    console.log(`ratio service/direct: ${(median(service) / median(direct)).toFixed(2)} (target >= 0.80)`);
  } finally {
    await stopRgw(rgw);
  }
}

if (isMainThread) {
  if (CASES.has('local')) await localCase();
  if (CASES.has('s3')) await s3Case();
}
