import { z } from 'zod';
import { drivePath, entryKind, entryPath, receivedEntryPath, receivedName } from './api.js';

/**
 * Share links (wire contract v1). The owner's routes sit under `/shares`
 * (signed in); a recipient's under `/s/:id` (no account: the link id plus,
 * if set, the extraction code).
 */

/** A link id: 16 random bytes as base64url, so it cannot be guessed (128 bits). */
export const shareIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a share id is 22 base64url characters');

/** An extraction code (提取码): 4 letters or digits, compared without regard to case. */
export const SHARE_CODE_LENGTH = 4;
export const shareCodeSchema = z.string().regex(/^[A-Za-z0-9]{4}$/, 'an extraction code is 4 letters or digits');

/** Longest expiry a link may be given: one year. */
export const MAX_SHARE_TTL_SECONDS = 365 * 24 * 3600;

export const createShareRequest = z.object({
  path: entryPath,
  /** Omitted: the service generates a code. null: no code. A string: this code. */
  code: shareCodeSchema.nullable().optional(),
  /** Omitted or null: the link does not expire. */
  expiresInSeconds: z.number().int().positive().max(MAX_SHARE_TTL_SECONDS).nullable().optional(),
  /** Omitted or null: no limit. Each download (a file's bytes or a folder's zip) counts one. */
  maxDownloads: z.number().int().positive().max(1_000_000).nullable().optional(),
});
export type CreateShareRequest = z.input<typeof createShareRequest>;

/** What a link looks like to a recipient right now, worst reason first. */
export const shareState = z.enum(['active', 'revoked', 'expired', 'exhausted', 'entry_deleted']);
export type ShareState = z.infer<typeof shareState>;

export const shareSchema = z.object({
  id: shareIdSchema,
  /** The page a recipient opens: a web address, never another scheme (javascript:, file:) a hostile service could slip in. */
  url: z.url({ protocol: /^https?$/ }).max(2048),
  /** The shared entry's current path (a share follows moves); null once it is deleted. */
  path: receivedEntryPath.nullable(),
  /** The entry's name when the link was made. */
  name: receivedName,
  kind: entryKind,
  code: shareCodeSchema.nullable(),
  createdAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  maxDownloads: z.number().int().positive().nullable(),
  downloads: z.number().int().nonnegative(),
  state: shareState,
});
export type Share = z.infer<typeof shareSchema>;

export const shareResponse = z.object({ share: shareSchema });
export const sharesResponse = z.object({ shares: z.array(shareSchema) });
export const shareIdParams = z.object({ id: shareIdSchema });

/** `GET /s/:id`: what a recipient may learn before the code. */
export const publicShareResponse = z.object({ needsCode: z.boolean(), expiresAt: z.number().int().nullable() });

export const unlockShareRequest = z.object({ code: z.string().max(64).optional() });
/** Send the token back as the `x-share-token` header; it is valid for `expiresIn` seconds. */
export const unlockShareResponse = z.object({
  token: z.string().min(1),
  expiresIn: z.number().int().positive(),
  name: z.string().min(1),
  kind: entryKind,
  size: z.number().int().nonnegative(),
});
export const SHARE_TOKEN_HEADER = 'x-share-token';

/** A path inside the shared folder ("/" is the folder itself; a shared file is "/"). */
export const sharedPathQuery = z.object({ path: drivePath.default('/') });

export const sharedEntrySchema = z.object({
  /** Relative to the shared folder, starting with "/". */
  path: z.string().min(1),
  name: z.string().min(1),
  kind: entryKind,
  size: z.number().int().nonnegative(),
  mtime: z.number().int(),
});
export type SharedEntry = z.infer<typeof sharedEntrySchema>;
export const sharedListResponse = z.object({ entries: z.array(sharedEntrySchema) });
