import type { FolderRuleStore } from './folderRules.js';
import type { BaseNode, LocalNode, RefusedRemoteEntry, RemoteChange, RemoteNode } from '../model.js';

/**
 * The engine's persistent state: the three trees (observations, not
 * intentions), the change-feed cursor, settings, and the job queue with
 * per-chunk progress. Every mutating method is one transaction.
 */
export interface StateStore extends TreeStore {
  readonly jobs: JobQueueStore;
  /** Selective sync: the remote folders this computer does not keep. */
  readonly folderRules: FolderRuleStore;
  getSetting(key: string): string | null;
  setSetting(key: string, value: string): void;
  close(): void;
}

export type TreeName = 'base' | 'local' | 'remote';

/**
 * A stretch of one folder's entries, bounded by entry paths in code point
 * order (compareCodePoints): those after `after` (not included) up to
 * `through` (included); a bound left out is the folder's start or end.
 */
export interface PathRange {
  after?: string;
  through?: string;
}

/** What a page of feed changes did to the remote tree. */
export interface AppliedRemoteChanges {
  /** Paths whose remote entry changed (both ends of a move). */
  paths: string[];
  refused: RefusedRemoteEntry[];
}

/** The node type each tree holds. */
export interface TreeNodes {
  base: BaseNode;
  local: LocalNode;
  remote: RemoteNode;
}

/**
 * One change to a tree. `delete` removes the path and everything below it;
 * `move` renames the path and its whole subtree (the destination must be free).
 */
export type TreeWrite =
  | { tree: 'base'; op: 'upsert'; node: BaseNode }
  | { tree: 'local'; op: 'upsert'; node: LocalNode }
  | { tree: 'remote'; op: 'upsert'; node: RemoteNode }
  | { tree: TreeName; op: 'delete'; path: string }
  | { tree: TreeName; op: 'move'; from: string; to: string };

export interface TreeStore {
  loadBase(): Map<string, BaseNode>;
  loadLocal(): Map<string, LocalNode>;
  loadRemote(): Map<string, RemoteNode>;
  /** One node, read by its path (an incremental round asks only about the paths it plans). */
  node<T extends TreeName>(tree: T, path: string): TreeNodes[T] | undefined;
  /** The nodes strictly below `path`, streamed in path order. */
  below<T extends TreeName>(tree: T, path: string): IterableIterator<TreeNodes[T]>;
  /**
   * The nodes directly in folder `path`, streamed in path order (a folder's
   * entries, not its subtree); with `range`, only those in that stretch.
   */
  children<T extends TreeName>(tree: T, path: string, range?: PathRange): IterableIterator<TreeNodes[T]>;
  count(tree: TreeName): number;
  /** The paths holding `text`, found by a scan inside the database: no node is built for the others. */
  pathsContaining(tree: TreeName, text: string): string[];
  /** Local and base nodes recorded with this device:inode (where a local rename went). */
  withInode<T extends 'local' | 'base'>(tree: T, inode: string): TreeNodes[T][];
  /** Remote and base nodes of this service entry id (where a remote move went). */
  withRemoteId<T extends 'remote' | 'base'>(tree: T, id: string): TreeNodes[T][];
  /** Applies the writes in order, all or nothing. */
  write(writes: readonly TreeWrite[]): void;
  /** The change-feed cursor the remote tree reflects; null before the first listing. */
  remoteCursor(): number | null;
  /**
   * Applies feed changes to the remote tree and stores `cursor` in the same
   * transaction, so the cursor is never ahead of the effects it covers. A
   * change that contradicts the tree (its parent folder is missing or a file,
   * its id belongs to another path) is not applied and is returned: the
   * service sent something this client refuses, and the rest still counts.
   * A change that leaves the tree as it was (the echo of this client's own
   * upload, whose answer was recorded already) is not among the paths.
   */
  applyRemoteChanges(changes: readonly RemoteChange[], cursor: number): AppliedRemoteChanges;
  /** Replaces the whole remote tree (first sync, or after `cursor_expired`). */
  replaceRemoteTree(nodes: readonly RemoteNode[], cursor: number): void;
  /**
   * True when a plan over the three trees came out empty and no tree changed
   * since (any tree write clears it, in the write's transaction): planning
   * again would find nothing to do.
   */
  converged(): boolean;
  /** Records that a plan over the trees as they are now is empty. */
  markConverged(): void;
}

/** (The table's CHECK still admits 'blocked', a state nothing sets any more.) */
export type JobState = 'queued' | 'running' | 'done' | 'failed';

/** Whatever the executor needs to resume (the planned op, an upload's `uploadId`); stored as JSON. */
export type JobPayload = Record<string, unknown>;

export interface JobError {
  code: string;
  message: string;
}

export interface NewJob {
  kind: string;
  path: string;
  payload: JobPayload;
  /** Creates this many pending chunk rows with the job (e.g. a download's block count). */
  chunkCount?: number;
}

export interface Job {
  id: number;
  kind: string;
  path: string;
  payload: JobPayload;
  state: JobState;
  attempts: number;
  nextAttemptAt: number;
  lastError: JobError | null;
  createdAt: number;
  updatedAt: number;
}

export interface JobQueueStore {
  /**
   * Runs `work` as one transaction (the calls inside, job and tree writes
   * alike, become savepoints of it): settling a batch of files costs one
   * commit, not several per file. All or nothing, like every other write here.
   */
  atomically<T>(work: () => T): T;
  enqueueJobs(jobs: readonly NewJob[], now: number): Job[];
  /** Marks one job running (an attempt) whatever its queue position: the engine runs the jobs its plan asks for. */
  startJob(id: number, now: number): void;
  completeJob(id: number, now: number): void;
  /** Back to the queue, to be started again from `nextAttemptAt`. */
  rescheduleJob(id: number, nextAttemptAt: number, error: JobError, now: number): void;
  /** Gives up: retrying cannot help. */
  failJob(id: number, error: JobError, now: number): void;
  /** Jobs a crash left running go back to the queue; their done chunks stay done. */
  requeueRunningJobs(now: number): number;
  /**
   * Replaces the payload (e.g. to record a new `uploadId`); with `chunkCount`,
   * the chunk rows restart as that many pending chunks, in the same transaction.
   */
  setJobPayload(id: number, payload: JobPayload, now: number, chunkCount?: number): void;
  removeJobs(ids: readonly number[]): void;
  /** Removes done jobs; failed ones stay for the user to see. */
  pruneDoneJobs(): number;
  getJob(id: number): Job | null;
  listJobs(states?: readonly JobState[]): Job[];
  markChunkDone(jobId: number, n: number): void;
  /** Chunk numbers not done yet, ascending. */
  pendingChunks(jobId: number): number[];
}
