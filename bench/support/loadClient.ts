import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { changesResponse, createUploadResponse, entryResponse, listResponse, type Change, type Entry } from '../../protocol/api.js';
import { hashBytes, possessionProof } from '../../protocol/contentHash.js';
import { errorBodySchema } from '../../protocol/errors.js';
import { call, isGatewayFailure, NetworkError, type Answer, type CallOptions } from './loadHttp.js';

/**
 * One simulated desktop client of bench:load: an account (shared with other
 * clients, as a user's devices share one), its own folder, a mix of
 * listings, metadata, small uploads, instant uploads, feed polls and
 * downloads in a closed loop, a long-poll that follows its change feed, and
 * a ledger of every write the service acknowledged. A request cut by a dying
 * node is retried (through the load balancer it lands on another node);
 * what a retry cannot hide is counted: lost or duplicated changes, and
 * acknowledged files that are missing or wrong.
 */

export type Op = 'list' | 'meta' | 'upload' | 'instant' | 'poll' | 'download';

/** Relative frequency of each operation in a client's loop. */
export const OP_WEIGHTS: Readonly<Record<Op, number>> = { list: 20, meta: 20, upload: 15, instant: 10, poll: 20, download: 15 };

/** A file's bytes and its digest, for uploads and possession proofs. */
export interface Content {
  bytes: Buffer;
  size: number;
  contentHash: string;
  blockHashes: string[];
}

export function content(bytes: Buffer): Content {
  const digest = hashBytes(bytes);
  return { bytes, size: bytes.length, contentHash: digest.contentHash, blockHashes: digest.blockHashes };
}

/** Figures of one phase, all clients together. */
export class LoadStats {
  /** Milliseconds per answered request (or per whole flow for uploads), by operation. */
  readonly latencies = new Map<Op, number[]>();
  /** HTTP requests answered (long-polls not counted). */
  requests = 0;
  /** Unexpected answers: each is a defect in steady state. */
  readonly errors: string[] = [];
  /** Requests or flows repeated after a cut connection, a gateway failure or a challenge lost with a node. */
  retries = 0;
  /** Instant uploads whose challenge the service rationed: the client sent the bytes instead. */
  rationed = 0;
  /** Instant uploads whose proof was refused because the challenge was gone (a restarted node). */
  lostChallenges = 0;

  record(op: Op, ms: number): void {
    let list = this.latencies.get(op);
    if (!list) this.latencies.set(op, (list = []));
    list.push(ms);
  }

  error(op: Op, what: string): void {
    this.errors.push(`${op}: ${what}`);
  }
}

interface Ack {
  path: string;
  rev: string;
  contentHash: string;
}

/** How the service answered something it was not expected to. */
function describe(answer: Answer): string {
  const parsed = errorBodySchema.safeParse(safeJson(answer));
  return `${answer.status} ${parsed.success ? parsed.data.error.code : answer.body.subarray(0, 120).toString()}`;
}

function safeJson(answer: Answer): unknown {
  try {
    return answer.json();
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Gives up on a retried step after this long: a node that stays dead with no other to take over is an error. */
const RETRY_FOR_MS = 60_000;

class Retry extends Error {}

export class LoadClient {
  /** Every change the long-poll saw, in arrival order. */
  readonly changes: Change[] = [];
  /** Path -> the write the service acknowledged. */
  readonly acked = new Map<string, Ack>();
  private cursor = 0;
  private written = 0;
  private readonly headers: Record<string, string>;

  constructor(
    readonly index: number,
    private readonly api: string,
    accessToken: string,
    /** Contents some other account already stored: instant uploads prove possession of them. */
    private readonly pool: readonly Content[],
    public stats: LoadStats,
  ) {
    this.headers = { authorization: `Bearer ${accessToken}` };
  }

  get folder(): string {
    return `/c${this.index}`;
  }

  /** Makes the client's folder (its first change) before the clock starts. */
  async setUp(): Promise<void> {
    const made = await call(this.api, 'POST', '/files/mkdir', { headers: this.headers, body: { path: this.folder } });
    if (made.status !== 200) throw new Error(`mkdir ${this.folder} answered ${describe(made)}`);
  }

  /** The closed loop: one operation after another until `deadline` (performance.now()). */
  async run(deadline: number): Promise<void> {
    const ops = Object.entries(OP_WEIGHTS) as [Op, number][];
    const total = ops.reduce((sum, [, w]) => sum + w, 0);
    while (performance.now() < deadline) {
      let pick = randomInt(total);
      const op = ops.find(([, w]) => (pick -= w) < 0)![0];
      const started = performance.now();
      try {
        await this[op]();
        this.stats.record(op, performance.now() - started);
      } catch (error) {
        this.stats.error(op, (error as Error).message);
      }
    }
  }

  /** Follows the change feed with long-polls until `signal` aborts. */
  async follow(signal: AbortSignal, waitSeconds = 20): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.readFeed(waitSeconds, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof NetworkError) && !(error instanceof Retry)) this.stats.error('poll', `long-poll: ${(error as Error).message}`);
        await sleep(100);
      }
    }
  }

  /** Reads the rest of the feed without waiting (after the load stopped). */
  async drainFeed(): Promise<void> {
    while (await this.readFeed(0) > 0);
  }

  private async readFeed(waitSeconds: number, signal?: AbortSignal): Promise<number> {
    const answer = await call(this.api, 'GET', `/changes?cursor=${this.cursor}&wait=${waitSeconds}`, { headers: this.headers, ...(signal ? { signal } : {}) });
    if (isGatewayFailure(answer.status)) throw new Retry();
    if (answer.status !== 200) throw new Error(`changes answered ${describe(answer)}`);
    const page = changesResponse.parse(answer.json());
    this.changes.push(...page.changes);
    this.cursor = page.cursor;
    return page.changes.length;
  }

  /** One request, repeated while the connection is cut or the gateway has no node for it. */
  private async request(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const giveUp = performance.now() + RETRY_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await call(this.api, method, path, { ...options, headers: { ...this.headers, ...options.headers } });
        this.stats.requests++;
        if (!isGatewayFailure(answer.status)) return answer;
        if (performance.now() > giveUp) throw new Error(`${method} ${path}: gateway answered ${answer.status} for ${RETRY_FOR_MS} ms`);
      } catch (error) {
        if (!(error instanceof NetworkError) || performance.now() > giveUp) throw error;
      }
      this.stats.retries++;
      await sleep(Math.min(50 * attempt, 500));
    }
  }

  private randomAck(): Ack | undefined {
    if (this.acked.size === 0) return undefined;
    const paths = [...this.acked.keys()];
    return this.acked.get(paths[randomInt(paths.length)]!);
  }

  private async list(): Promise<void> {
    const answer = await this.request('GET', `/files?path=${encodeURIComponent(this.folder)}`);
    if (answer.status !== 200) throw new Error(describe(answer));
    listResponse.parse(answer.json());
  }

  private async meta(): Promise<void> {
    const ack = this.randomAck();
    const answer = await this.request('GET', `/files/meta?path=${encodeURIComponent(ack?.path ?? this.folder)}`);
    if (answer.status !== 200) throw new Error(describe(answer));
    const { entry } = entryResponse.parse(answer.json());
    if (ack && entry.contentHash !== ack.contentHash) throw new Error(`${ack.path} has content ${entry.contentHash}, acknowledged ${ack.contentHash}`);
  }

  private async poll(): Promise<void> {
    const answer = await this.request('GET', `/changes?cursor=${this.cursor}&wait=0&limit=100`);
    if (answer.status !== 200) throw new Error(describe(answer));
    changesResponse.parse(answer.json());
  }

  private async download(): Promise<void> {
    const ack = this.randomAck();
    if (!ack) return this.list();
    const answer = await this.request('GET', `/files/content?path=${encodeURIComponent(ack.path)}`);
    if (answer.status !== 200) throw new Error(describe(answer));
    if (hashBytes(answer.body).contentHash !== ack.contentHash) throw new Error(`${ack.path}: downloaded bytes are not the acknowledged content`);
  }

  /** A new 4 KiB file, chunked flow: create, one chunk, complete. */
  private async upload(): Promise<void> {
    await this.write(`${this.folder}/s${this.written++}`, content(randomBytes(4096)), 'upload');
  }

  /** A file some other account stored: create, challenge, proof (or the bytes when rationed). */
  private async instant(): Promise<void> {
    await this.write(`${this.folder}/i${this.written++}`, this.pool[randomInt(this.pool.length)]!, 'instant');
  }

  /**
   * Writes `file` at a new `path` (ifRev null: it must not exist) until the
   * service acknowledges it. A flow cut part-way starts over; if the cut
   * attempt had committed, the service answers 409 with our own content,
   * which is the acknowledgement that got lost.
   */
  async write(path: string, file: Content, op: 'upload' | 'instant' = 'upload'): Promise<void> {
    const giveUp = performance.now() + RETRY_FOR_MS;
    for (;;) {
      try {
        const entry = await this.writeOnce(path, file, op);
        this.acked.set(path, { path, rev: entry.rev!, contentHash: entry.contentHash! });
        return;
      } catch (error) {
        if (!(error instanceof Retry) && !(error instanceof NetworkError)) throw error;
        if (performance.now() > giveUp) throw new Error(`${path}: not acknowledged within ${RETRY_FOR_MS} ms`);
        this.stats.retries++;
        await sleep(50);
      }
    }
  }

  private async step(method: string, path: string, body?: unknown): Promise<Answer> {
    const answer = await call(this.api, method, path, { headers: this.headers, ...(body !== undefined ? { body } : {}) });
    this.stats.requests++;
    if (isGatewayFailure(answer.status)) throw new Retry();
    return answer;
  }

  private async writeOnce(path: string, file: Content, op: 'upload' | 'instant'): Promise<Entry> {
    const request = { path, size: file.size, contentHash: file.contentHash, blockHashes: file.blockHashes, mtime: Date.now(), ifRev: null };
    let answer = await this.step('POST', '/uploads', request);
    const already = this.alreadyWritten(answer, file);
    if (already) return already;
    if (answer.status !== 200 && answer.status !== 201) throw new Error(describe(answer));
    let created = createUploadResponse.parse(answer.json());
    if (created.status === 'challenge') {
      const { id, offset, length, nonce } = created.challenge;
      answer = await this.step('POST', '/uploads', { ...request, proof: { id, value: possessionProof(nonce, file.bytes.subarray(offset, offset + length)) } });
      if (answer.status === 403 && errorBodySchema.safeParse(safeJson(answer)).data?.error.code === 'proof_invalid') {
        this.stats.lostChallenges++;
        throw new Retry();
      }
      const proven = this.alreadyWritten(answer, file);
      if (proven) return proven;
      if (answer.status !== 200 && answer.status !== 201) throw new Error(describe(answer));
      created = createUploadResponse.parse(answer.json());
    } else if (op === 'instant') {
      this.stats.rationed++;
    }
    if (created.status === 'done') return created.entry;
    if (created.status !== 'upload') throw new Error(`a second challenge for ${path}`);
    if (created.chunkCount !== 1) throw new Error(`a ${file.size}-byte file in ${created.chunkCount} chunks`);
    const chunk = await this.step('PUT', `/uploads/${created.uploadId}/chunks/0`, file.bytes);
    if (chunk.status !== 200) throw chunk.status === 404 ? new Retry() : new Error(`chunk: ${describe(chunk)}`);
    const completed = await this.step('POST', `/uploads/${created.uploadId}/complete`);
    // 404: a cut complete had already committed and ended the session; starting over finds the file.
    if (completed.status === 404) throw new Retry();
    if (completed.status !== 200) throw new Error(`complete: ${describe(completed)}`);
    return entryResponse.parse(completed.json()).entry;
  }

  /** A 409 whose current entry holds our content: an earlier, cut attempt committed it. */
  private alreadyWritten(answer: Answer, file: Content): Entry | undefined {
    if (answer.status !== 409) return undefined;
    const parsed = errorBodySchema.safeParse(safeJson(answer));
    const current = parsed.success ? entryResponse.shape.entry.safeParse(parsed.data.error.details?.entry) : undefined;
    if (current?.success && current.data.contentHash === file.contentHash) return current.data;
    throw new Error(`409 ${parsed.success ? parsed.data.error.code : ''} for a new path`);
  }
}
