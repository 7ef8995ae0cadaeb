import type { Entry } from '../../protocol/api.js';
import type { z } from 'zod';
import type { createShareRequest, Share, SharedEntry, ShareState } from '../../protocol/shares.js';
import type { FileStore } from '../files/fileStore.js';
import { ApiError } from '../errors.js';
import type { ShareCodeThrottle } from './codeThrottle.js';
import { codeMatches, issueShareToken, newShareCode, newShareId, newTokenKey, normalizeCode, shareTokenValid } from './shareSecrets.js';
import type { ShareRecord, ShareStore } from './shareStore.js';

/** How long a right code opens a link for (never past the link's own expiry). */
export const SHARE_TOKEN_TTL_MS = 30 * 60 * 1000;

/** A link a recipient may use right now, with the entry it points at. */
export interface OpenShare {
  share: ShareRecord;
  entry: Entry;
}

export interface ShareServiceDeps {
  shares: ShareStore;
  files: FileStore;
  throttle: ShareCodeThrottle;
  now(): number;
  /** The service's public base URL, for the links handed out. */
  publicUrl: string;
}

const REFUSAL: Record<Exclude<ShareState, 'active'>, { code: 'share_revoked' | 'share_expired' | 'share_exhausted' | 'share_entry_deleted'; message: string }> = {
  revoked: { code: 'share_revoked', message: 'the owner revoked this link' },
  expired: { code: 'share_expired', message: 'this link has expired' },
  exhausted: { code: 'share_exhausted', message: 'this link reached its download limit' },
  entry_deleted: { code: 'share_entry_deleted', message: 'the shared file or folder was deleted' },
};

/** Share links: the owner's create/list/revoke, and a recipient's way in (code, token, paths inside the share). */
export class ShareService {
  constructor(private readonly deps: ShareServiceDeps) {}

  async create(userId: string, request: z.output<typeof createShareRequest>): Promise<Share> {
    const entry = await this.deps.files.getEntry(userId, request.path);
    if (!entry) throw new ApiError('not_found', `${request.path} does not exist`);
    const now = this.deps.now();
    const code = request.code === undefined ? newShareCode() : request.code === null ? null : normalizeCode(request.code);
    const record: ShareRecord = {
      id: newShareId(),
      userId,
      entryId: entry.id,
      kind: entry.kind,
      name: entry.name,
      code,
      tokenKey: newTokenKey(),
      createdAt: now,
      expiresAt: request.expiresInSeconds ? now + request.expiresInSeconds * 1000 : null,
      maxDownloads: request.maxDownloads ?? null,
      downloads: 0,
      revokedAt: null,
    };
    await this.deps.shares.create(record);
    return this.describe(record, entry);
  }

  async list(userId: string): Promise<Share[]> {
    const records = await this.deps.shares.listByUser(userId);
    return Promise.all(records.map(async (record) => this.describe(record, await this.deps.files.getEntryById(userId, record.entryId))));
  }

  async revoke(userId: string, id: string): Promise<Share> {
    // Someone else's link answers exactly like a missing one: ids are not confirmed to strangers.
    const record = await this.deps.shares.revoke(userId, id, this.deps.now());
    if (!record) throw new ApiError('share_not_found', 'you have no share link with this id');
    return this.describe(record, await this.deps.files.getEntryById(userId, record.entryId));
  }

  /** The link if a recipient may use it now; otherwise the stable refusal saying why. */
  async open(id: string): Promise<OpenShare> {
    const share = await this.deps.shares.get(id);
    if (!share) throw new ApiError('share_not_found', 'there is no share link with this id');
    const entry = await this.deps.files.getEntryById(share.userId, share.entryId);
    const state = this.stateOf(share, entry);
    if (state !== 'active' || !entry) {
      const refusal = REFUSAL[state === 'active' ? 'entry_deleted' : state];
      throw new ApiError(refusal.code, refusal.message);
    }
    return { share, entry };
  }

  /** Checks the code (throttled per link and address) and hands out a token for the link. */
  async unlock(id: string, offered: string | undefined, ip: string): Promise<{ open: OpenShare; token: string; expiresAt: number }> {
    const open = await this.open(id);
    const expected = open.share.code;
    if (expected !== null) {
      const waitMs = await this.deps.throttle.begin(ip, id);
      if (waitMs > 0) throw new ApiError('rate_limited', 'too many wrong codes; try again later', { retryAfterSeconds: Math.ceil(waitMs / 1000) });
      if (offered === undefined || !codeMatches(offered, expected)) throw new ApiError('share_code_invalid', 'wrong extraction code');
      await this.deps.throttle.succeeded(ip, id);
    }
    const now = this.deps.now();
    const expiresAt = Math.min(now + SHARE_TOKEN_TTL_MS, open.share.expiresAt ?? Number.MAX_SAFE_INTEGER);
    return { open, token: issueShareToken(open.share.tokenKey, id, expiresAt), expiresAt };
  }

  /** The link, if `token` was handed out for it and is still good (a link without a code needs none). */
  async authorize(id: string, token: string | undefined): Promise<OpenShare> {
    const open = await this.open(id);
    if (open.share.code === null) return open;
    if (token === undefined || !shareTokenValid(token, open.share.tokenKey, id, this.deps.now())) {
      throw new ApiError('share_locked', 'enter the extraction code first');
    }
    return open;
  }

  /**
   * The entry at `relative` inside the share: "/" is the shared entry itself;
   * a shared file has nothing else. `relative` is a checked drive path (no
   * `..`), so appending it cannot leave the shared folder.
   */
  async resolve(open: OpenShare, relative: string): Promise<Entry> {
    if (relative === '/') return open.entry;
    const entry = open.entry.kind === 'folder' ? await this.deps.files.getEntry(open.share.userId, `${open.entry.path}${relative}`) : null;
    if (!entry) throw new ApiError('not_found', `${relative} is not in this share`);
    return entry;
  }

  /** A folder's children inside the share, with paths relative to the shared folder. */
  async listFolder(open: OpenShare, folder: Entry): Promise<SharedEntry[]> {
    if (folder.kind !== 'folder') throw new ApiError('not_a_folder', 'only a folder can be listed');
    const children = await this.deps.files.list(open.share.userId, folder.path);
    return children.map((child) => ({
      path: this.relativePath(open, child),
      name: child.name,
      kind: child.kind,
      size: child.size,
      mtime: child.mtime,
    }));
  }

  relativePath(open: OpenShare, entry: Entry): string {
    return entry.path === open.entry.path ? '/' : entry.path.slice(open.entry.path.length);
  }

  /** Counts a download against the link's limit; refuses when it is used up. */
  async countDownload(open: OpenShare): Promise<void> {
    if (!(await this.deps.shares.countDownload(open.share.id))) throw new ApiError(REFUSAL.exhausted.code, REFUSAL.exhausted.message);
  }

  private stateOf(share: ShareRecord, entry: Entry | null): ShareState {
    if (share.revokedAt !== null) return 'revoked';
    if (share.expiresAt !== null && share.expiresAt <= this.deps.now()) return 'expired';
    if (!entry) return 'entry_deleted';
    if (share.maxDownloads !== null && share.downloads >= share.maxDownloads) return 'exhausted';
    return 'active';
  }

  private describe(share: ShareRecord, entry: Entry | null): Share {
    return {
      id: share.id,
      url: `${this.deps.publicUrl.replace(/\/+$/, '')}/s/${share.id}`,
      path: entry?.path ?? null,
      name: share.name,
      kind: share.kind,
      code: share.code,
      createdAt: share.createdAt,
      expiresAt: share.expiresAt,
      maxDownloads: share.maxDownloads,
      downloads: share.downloads,
      state: this.stateOf(share, entry),
    };
  }
}
