import { Readable } from 'node:stream';
import type { Entry, User } from '../../protocol/api.js';
import { blockCount, contentHashOfBlocks, hashBytes } from '../../protocol/contentHash.js';
import { ERROR_STATUS, type ErrorCode } from '../../protocol/errors.js';
import { ROOT, isSameOrBelow, nameOf, parentOf } from '../../protocol/paths.js';
import type { Clock } from '../../app/clock.js';
import { SyncError } from '../../app/errors.js';
import type { RemoteChange, RemoteNode } from '../../app/model.js';
import { serviceRefusal } from '../../app/remote/remoteErrors.js';
import type {
  BatchFile, BatchResult, ChangePage, ChangesOptions, ChunkBody, CreateUploadRequest, Download, DownloadOptions,
  Listing, PutChunkOptions, RemoteStore, UploadStart, UploadStatus,
} from '../../app/remote/remoteStore.js';

/**
 * The netdisk service of the v1 contract (docs/protocol.md, server/files),
 * in memory, for one user: revs that change on every change, `ifRev`
 * preconditions answering 409 `conflict` with the current entry, 409
 * `already_exists` / `case_conflict` / `parent_not_found` / `not_a_folder` /
 * `not_a_file`, deletes to a trash, and the change feed with cursors, pages,
 * long polls and 410 `cursor_expired` once pruned. Refusals are built with the
 * client's own mapping (serviceRefusal), so the engine sees what it would see
 * from the HTTP store.
 */
class ApiRefusal extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

interface Session {
  id: string;
  request: CreateUploadRequest;
  chunkSize: number;
  chunkCount: number;
  chunks: Map<number, Uint8Array>;
}

export interface TrashItem {
  path: string;
  nodes: RemoteNode[];
  /** Who asked for the delete (the device's name). */
  by: string;
}

/** Small chunks, so that a few hundred kilobytes make a multi-chunk upload. */
export const SIM_CHUNK_SIZE = 64 * 1024;

export class SimService {
  readonly entries = new Map<string, RemoteNode>();
  readonly contents = new Map<string, Uint8Array>();
  readonly trash: TrashItem[] = [];
  private readonly feed: RemoteChange[] = [];
  private seq = 0;
  /** Changes up to this seq are no longer served: an older cursor answers 410. */
  private prunedThrough = 0;
  private ids = 0;
  private sessions = new Map<string, Session>();
  private waiters = new Set<() => void>();

  // ---- tree -----------------------------------------------------------------

  list(path: string): RemoteNode[] {
    if (path !== ROOT) {
      const folder = this.entries.get(path);
      if (!folder) throw new ApiRefusal('not_found', `${path} does not exist`);
      if (folder.kind !== 'folder') throw new ApiRefusal('not_a_folder', `${path} is a file, not a folder`);
    }
    return [...this.entries.values()].filter((node) => parentOf(node.path) === path).sort(byPath);
  }

  meta(path: string): RemoteNode {
    const node = this.entries.get(path);
    if (!node) throw new ApiRefusal('not_found', `${path} does not exist`);
    return node;
  }

  mkdir(path: string, mtime: number): RemoteNode {
    const existing = this.entries.get(path);
    if (existing?.kind === 'folder') return existing;
    if (existing) throw new ApiRefusal('already_exists', `${path} exists and is a file`, { entry: wire(existing) });
    this.checkPlace(path);
    const node: RemoteNode = { id: this.newId(), path, kind: 'folder', size: 0, contentHash: null, rev: String(this.seq + 1), mtime };
    return this.record('create', node);
  }

  move(from: string, to: string, ifRev: string | null | undefined): RemoteNode {
    const node = this.require(from);
    this.checkRev(node, ifRev, from);
    if (from === to) return node;
    if (node.kind === 'folder' && isSameOrBelow(to, from)) throw new ApiRefusal('invalid_path', `cannot move the folder ${from} into itself`);
    const occupant = this.entries.get(to);
    if (occupant) throw new ApiRefusal('already_exists', `${to} already exists`, { entry: wire(occupant) });
    this.checkPlace(to, node.id);
    for (const below of this.subtree(from)) {
      this.entries.delete(below.path);
      const path = to + below.path.slice(from.length);
      this.entries.set(path, { ...below, path });
    }
    const moved = { ...this.entries.get(to)!, rev: String(this.seq + 1) };
    return this.record('move', moved, from);
  }

  delete(path: string, ifRev: string | null | undefined, by: string): RemoteNode {
    const node = this.require(path);
    this.checkRev(node, ifRev, path);
    const nodes = this.subtree(path);
    this.trash.push({ path, nodes, by });
    for (const below of nodes) this.entries.delete(below.path);
    this.seq += 1;
    this.feed.push({ seq: this.seq, op: 'delete', path, node });
    this.wake();
    return node;
  }

  /** Commits a file's content (upload completion, batch file, empty file). */
  commit(file: { path: string; content: Uint8Array; contentHash: string; mtime: number; ifRev?: string | null | undefined }): RemoteNode {
    const existing = this.entries.get(file.path) ?? null;
    if (existing?.kind === 'folder') throw new ApiRefusal('not_a_file', `${file.path} is a folder`, { entry: wire(existing) });
    this.checkRev(existing, file.ifRev, file.path);
    if (!existing) this.checkPlace(file.path);
    this.contents.set(file.contentHash, new Uint8Array(file.content));
    const node: RemoteNode = {
      id: existing?.id ?? this.newId(), path: file.path, kind: 'file', size: file.content.length,
      contentHash: file.contentHash, rev: String(this.seq + 1), mtime: file.mtime,
    };
    return this.record(existing ? 'update' : 'create', node);
  }

  // ---- feed -------------------------------------------------------------------

  latestCursor(): number {
    return this.seq;
  }

  changes(cursor: number, limit: number): ChangePage {
    if (cursor < this.prunedThrough) throw new ApiRefusal('cursor_expired', `cursor ${cursor} is older than the retained feed`);
    const after = this.feed.filter((change) => change.seq > cursor);
    const page = after.slice(0, limit);
    return { changes: page, refused: [], cursor: page.length > 0 ? page[page.length - 1]!.seq : Math.max(cursor, this.seq), hasMore: after.length > limit };
  }

  /** Drops the feed up to now: every client's cursor older than this answers 410 and lists again. */
  pruneFeed(): void {
    this.prunedThrough = this.seq;
    this.feed.length = 0;
  }

  /** Resolves on the next change (for long polls). */
  nextChange(): { promise: Promise<void>; cancel: () => void } {
    let done!: () => void;
    const promise = new Promise<void>((resolve) => { done = resolve; });
    this.waiters.add(done);
    return { promise, cancel: () => this.waiters.delete(done) };
  }

  // ---- uploads ----------------------------------------------------------------

  createUpload(request: CreateUploadRequest): UploadStart {
    if (request.blockHashes.length !== blockCount(request.size) || contentHashOfBlocks(request.blockHashes) !== request.contentHash) {
      throw new ApiRefusal('block_hashes_mismatch', 'block digests do not hash to the content hash');
    }
    if (request.ifRev !== undefined) {
      const current = this.entries.get(request.path) ?? null;
      if ((current?.rev ?? null) !== request.ifRev) throw new ApiRefusal('conflict', `${request.path} changed`, { entry: current ? wire(current) : null });
    }
    if (request.size === 0) {
      return { status: 'done', node: this.commit({ ...request, content: new Uint8Array(0) }) };
    }
    // Challenges are rationed by the real service; this one always answers with a session, which the contract allows.
    const id = `u${++this.ids}`;
    const chunkCount = Math.ceil(request.size / SIM_CHUNK_SIZE);
    this.sessions.set(id, { id, request, chunkSize: SIM_CHUNK_SIZE, chunkCount, chunks: new Map() });
    return { status: 'upload', uploadId: id, chunkSize: SIM_CHUNK_SIZE, chunkCount, received: [] };
  }

  putChunk(uploadId: string, index: number, bytes: Uint8Array): UploadStatus {
    const session = this.session(uploadId);
    if (index >= session.chunkCount) throw new ApiRefusal('chunk_out_of_range', `chunk ${index} is out of range`);
    const expected = Math.min(session.chunkSize, session.request.size - index * session.chunkSize);
    if (bytes.length !== expected) throw new ApiRefusal('chunk_length_mismatch', `chunk ${index} has ${bytes.length} bytes, not ${expected}`);
    session.chunks.set(index, new Uint8Array(bytes));
    return this.status(session);
  }

  uploadStatus(uploadId: string): UploadStatus {
    return this.status(this.session(uploadId));
  }

  completeUpload(uploadId: string): RemoteNode {
    const session = this.session(uploadId);
    const content = new Uint8Array(session.request.size);
    for (let n = 0; n < session.chunkCount; n++) {
      const chunk = session.chunks.get(n);
      if (!chunk) throw new ApiRefusal('upload_incomplete', `chunk ${n} is missing`);
      content.set(chunk, n * session.chunkSize);
    }
    if (hashBytes(content).contentHash !== session.request.contentHash) throw new ApiRefusal('content_hash_mismatch', 'the chunks do not hash to the content hash');
    const node = this.commit({ ...session.request, content });
    this.sessions.delete(uploadId);
    return node;
  }

  abortUpload(uploadId: string): void {
    this.sessions.delete(uploadId);
  }

  download(path: string, range?: { start: number; end: number }): { bytes: Uint8Array; contentHash: string; total: number } {
    const node = this.require(path);
    if (node.kind !== 'file') throw new ApiRefusal('not_a_file', `${path} is a folder`);
    const content = this.contents.get(node.contentHash!)!;
    const bytes = range ? content.subarray(range.start, range.end + 1) : content;
    return { bytes, contentHash: node.contentHash!, total: content.length };
  }

  // ---- internals ----------------------------------------------------------------

  private session(uploadId: string): Session {
    const session = this.sessions.get(uploadId);
    if (!session) throw new ApiRefusal('not_found', `no upload ${uploadId}`);
    return session;
  }

  private status(session: Session): UploadStatus {
    return { uploadId: session.id, chunkSize: session.chunkSize, chunkCount: session.chunkCount, received: [...session.chunks.keys()].sort((a, b) => a - b) };
  }

  private require(path: string): RemoteNode {
    const node = this.entries.get(path);
    if (!node) throw new ApiRefusal('not_found', `${path} does not exist`);
    return node;
  }

  private checkRev(current: RemoteNode | null, ifRev: string | null | undefined, path: string): void {
    if (ifRev === undefined) return;
    if (ifRev === null ? current === null : current?.rev === ifRev) return;
    throw new ApiRefusal('conflict', `${path} changed: expected ${ifRev === null ? 'nothing' : `rev ${ifRev}`}`, { entry: current ? wire(current) : null });
  }

  /** As the service's EntryTable.checkPlace: the parent is a folder, and no sibling takes the name up to case. */
  private checkPlace(path: string, exceptId = ''): void {
    const parentPath = parentOf(path);
    if (parentPath !== ROOT) {
      const parent = this.entries.get(parentPath);
      if (!parent) throw new ApiRefusal('parent_not_found', `the folder ${parentPath} does not exist`);
      if (parent.kind !== 'folder') throw new ApiRefusal('not_a_folder', `${parentPath} is a file, not a folder`);
    }
    const key = nameOf(path).toLowerCase();
    for (const sibling of this.entries.values()) {
      if (sibling.id !== exceptId && parentOf(sibling.path) === parentPath && nameOf(sibling.path).toLowerCase() === key) {
        throw new ApiRefusal('case_conflict', `${path} differs from the existing ${sibling.path} only in case`, { path: sibling.path });
      }
    }
  }

  private subtree(path: string): RemoteNode[] {
    return [...this.entries.values()].filter((node) => isSameOrBelow(node.path, path)).sort(byPath);
  }

  private record(op: RemoteChange['op'], node: RemoteNode, fromPath?: string): RemoteNode {
    this.seq += 1;
    const stored = { ...node, rev: String(this.seq) };
    this.entries.set(stored.path, stored);
    this.feed.push({ seq: this.seq, op, path: stored.path, ...(fromPath === undefined ? {} : { fromPath }), node: stored });
    this.wake();
    return stored;
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  private newId(): string {
    return `e${++this.ids}`;
  }
}

function byPath(a: RemoteNode, b: RemoteNode): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function wire(node: RemoteNode): Entry {
  return { ...node, name: nameOf(node.path) };
}

/** What can go wrong with one request. '5xx': refused before it does anything; 'timeout': done at the service, but the answer is lost. */
export type RemoteFault = 'none' | '5xx' | 'timeout';

export interface SimRemoteHooks {
  gate(label: string): Promise<void>;
  fault(method: string): RemoteFault;
  clock: Clock;
  /** The device's name (recorded with its deletes). */
  device: string;
}

/**
 * One device's connection to the simulated service: the RemoteStore port.
 * Every call passes a gate on the way in and one on the way out, so the
 * simulation can run other devices (or crash this one) between the service
 * doing something and the device hearing of it.
 */
export class SimRemote implements RemoteStore {
  constructor(private readonly service: SimService, private readonly hooks: SimRemoteHooks) {}

  me(): Promise<User> {
    return this.call('me', () => ({ id: 'u1', username: 'sim' }) as unknown as User);
  }

  async list(path: string, signal?: AbortSignal): Promise<Listing> {
    return { nodes: await this.call('list', () => this.service.list(path), signal), refused: [] };
  }

  meta(path: string, signal?: AbortSignal): Promise<RemoteNode> {
    return this.call('meta', () => this.service.meta(path), signal);
  }

  mkdir(path: string, options?: { mtime?: number; signal?: AbortSignal }): Promise<RemoteNode> {
    return this.call('mkdir', () => this.service.mkdir(path, options?.mtime ?? this.hooks.clock.now()), options?.signal);
  }

  move(from: string, to: string, ifRev?: string | null, signal?: AbortSignal): Promise<RemoteNode> {
    return this.call('move', () => this.service.move(from, to, ifRev), signal);
  }

  delete(path: string, ifRev?: string | null, signal?: AbortSignal): Promise<RemoteNode> {
    return this.call('delete', () => this.service.delete(path, ifRev, this.hooks.device), signal);
  }

  async changes(cursor: number, options: ChangesOptions = {}): Promise<ChangePage> {
    const wait = options.waitSeconds ?? 0;
    if (wait > 0) {
      await this.enter('changes', options.signal);
      if (this.service.latestCursor() <= cursor) await this.longPoll(wait, options.signal);
      return this.answer('changes', () => this.service.changes(cursor, options.limit ?? 1000), options.signal);
    }
    return this.call('changes', () => this.service.changes(cursor, options.limit ?? 1000), options.signal);
  }

  latestCursor(signal?: AbortSignal): Promise<number> {
    return this.call('latestCursor', () => this.service.latestCursor(), signal);
  }

  createUpload(request: CreateUploadRequest, signal?: AbortSignal): Promise<UploadStart> {
    return this.call('createUpload', () => this.service.createUpload(request), signal);
  }

  async answerChallenge(): Promise<UploadStart> {
    throw new SyncError('internal', 'the simulated service never issues a possession challenge');
  }

  async putChunk(uploadId: string, index: number, body: ChunkBody, options?: PutChunkOptions): Promise<UploadStatus> {
    // A copy now: the uploader reuses its chunk buffers (and Buffer#slice would be a view).
    const bytes = body instanceof Uint8Array ? new Uint8Array(body) : await readAll(body());
    const status = await this.call('putChunk', () => this.service.putChunk(uploadId, index, bytes), options?.signal);
    options?.onProgress?.(bytes.length);
    return status;
  }

  uploadStatus(uploadId: string, signal?: AbortSignal): Promise<UploadStatus> {
    return this.call('uploadStatus', () => this.service.uploadStatus(uploadId), signal);
  }

  completeUpload(uploadId: string, signal?: AbortSignal): Promise<RemoteNode> {
    return this.call('completeUpload', () => this.service.completeUpload(uploadId), signal);
  }

  async abortUpload(uploadId: string, signal?: AbortSignal): Promise<void> {
    await this.call('abortUpload', () => this.service.abortUpload(uploadId), signal);
  }

  batchUpload(files: readonly BatchFile[], signal?: AbortSignal): Promise<BatchResult[]> {
    return this.call('batchUpload', () => files.map((file): BatchResult => {
      try {
        return { path: file.path, ok: true, node: this.service.commit(file) };
      } catch (error) {
        return { path: file.path, ok: false, error: refusal(error) };
      }
    }), signal);
  }

  async download(path: string, options: DownloadOptions = {}): Promise<Download> {
    const answer = await this.call('download', () => this.service.download(path, options.range), options.signal);
    return {
      status: options.range ? 206 : 200,
      contentHash: answer.contentHash,
      length: answer.bytes.length,
      totalSize: answer.total,
      body: Readable.from([Buffer.from(answer.bytes)]),
    };
  }

  /** In, act at the service, out: a fault either stops the request before it acts (5xx) or loses the answer after (timeout). */
  private async call<T>(method: string, act: () => T, signal?: AbortSignal): Promise<T> {
    await this.enter(method, signal);
    return this.answer(method, act, signal);
  }

  private async enter(method: string, signal?: AbortSignal): Promise<void> {
    await this.hooks.gate(`remote:${method}`);
    if (signal?.aborted) throw new SyncError('aborted', 'the request was aborted');
  }

  private async answer<T>(method: string, act: () => T, signal?: AbortSignal): Promise<T> {
    const fault = this.hooks.fault(method);
    if (fault === '5xx') throw serviceRefusal(503, 'storage_unavailable', 'the simulated service is failing');
    let result: T;
    try {
      result = act();
    } catch (error) {
      if (process.env.SIM_DEBUG) console.log(method, error);
      await this.hooks.gate(`remote:${method}:answer`);
      throw refusal(error);
    }
    await this.hooks.gate(`remote:${method}:answer`);
    if (fault === 'timeout') throw new SyncError('network', 'the service could not be reached: timed out (simulated)', { retryable: true });
    if (signal?.aborted) throw new SyncError('aborted', 'the request was aborted');
    return result;
  }

  private async longPoll(waitSeconds: number, signal?: AbortSignal): Promise<void> {
    const change = this.service.nextChange();
    const timer = new AbortController();
    const onAbort = () => timer.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([change.promise, this.hooks.clock.sleep(waitSeconds * 1000, timer.signal).catch(() => {})]);
    } finally {
      change.cancel();
      timer.abort();
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) throw new SyncError('aborted', 'the request was aborted');
  }
}

function refusal(error: unknown): SyncError {
  if (error instanceof ApiRefusal) return serviceRefusal(ERROR_STATUS[error.code], error.code, error.message, error.details);
  throw error;
}

async function readAll(stream: Readable): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}
