import { ApiError } from '../errors.js';
import type { FileStore } from '../files/fileStore.js';
import type { UploadSessionStore } from './sessionStore.js';

export interface QuotaLimits {
  quotaBytes: number;
  maxUploadSessions: number;
  maxPendingUploadBytes: number;
  /** Replaced files are kept as versions (NETDISK_MAX_VERSIONS > 0): replacing one frees none of its bytes. Default false. */
  keepsVersions?: boolean;
}

export interface StorageUsage {
  /** Files, live and in the trash. */
  usedBytes: number;
  /** Declared by upload sessions still open (not completed, aborted or expired). */
  reservedBytes: number;
  quotaBytes: number;
}

/**
 * Per-user storage quota and the caps on uploads in progress. An upload
 * session reserves its declared size when it opens; completing turns the
 * reservation into used bytes, aborting or expiring releases it. Checks and
 * the writes they allow run one at a time per user in this process, so two
 * requests cannot both take the last free bytes. Processes sharing a database
 * do not share that turn: together they may overshoot by what is in flight.
 */
export class StorageQuota {
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly files: FileStore,
    private readonly sessions: UploadSessionStore,
    private readonly limits: QuotaLimits,
    private readonly now: () => number,
  ) {}

  async usage(userId: string): Promise<StorageUsage> {
    const [usedBytes, open] = await Promise.all([this.files.usedBytes(userId), this.sessions.openTotals(userId, this.now())]);
    return { usedBytes, reservedBytes: open.bytes, quotaBytes: this.limits.quotaBytes };
  }

  /** Runs `work` (checks and the writes they allow) after any earlier work of this user has finished. */
  exclusive<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(userId) ?? Promise.resolve();
    const mine = previous.then(work, work);
    const settled = mine.then(() => {}, () => {});
    this.turns.set(userId, settled);
    void settled.then(() => {
      if (this.turns.get(userId) === settled) this.turns.delete(userId);
    });
    return mine;
  }

  /**
   * Bytes a commit replacing `current` frees: none while replaced files are
   * kept as versions (pruning the oldest one may free some, which is not
   * counted on), else the replaced file's.
   */
  freedByReplacing(current: { kind: string; size: number } | null): number {
    return current?.kind === 'file' && !this.limits.keepsVersions ? current.size : 0;
  }

  /** Throws `quota_exceeded` unless `addBytes` more fit in the user's quota (with what open uploads reserve). */
  async checkFits(userId: string, addBytes: number): Promise<void> {
    if (addBytes <= 0) return;
    const usage = await this.usage(userId);
    const free = usage.quotaBytes - usage.usedBytes - usage.reservedBytes;
    if (addBytes > free) {
      throw new ApiError('quota_exceeded', `the netdisk is full: ${addBytes} more bytes do not fit in the ${usage.quotaBytes}-byte quota`,
        { ...usage, neededBytes: addBytes });
    }
  }

  /** Before a session opens: the quota, then the caps on open sessions and pending bytes. */
  async checkNewSession(userId: string, size: number, replacedBytes: number): Promise<void> {
    await this.checkFits(userId, size - replacedBytes);
    const open = await this.sessions.openTotals(userId, this.now());
    if (open.count >= this.limits.maxUploadSessions) {
      throw new ApiError('rate_limited', `${open.count} uploads are open; finish or abort one first`,
        { limit: 'upload_sessions', max: this.limits.maxUploadSessions });
    }
    if (open.bytes + size > this.limits.maxPendingUploadBytes) {
      throw new ApiError('rate_limited', `open uploads may declare at most ${this.limits.maxPendingUploadBytes} bytes together; finish or abort one first`,
        { limit: 'pending_upload_bytes', max: this.limits.maxPendingUploadBytes });
    }
  }
}
