import { z } from 'zod';
import { entryPath, entrySchema, hex64, ifRev, receivedEntryPath } from './api.js';

/**
 * Version history (wire contract v1): what a file held before it was
 * replaced. `GET /files/versions?path=` lists a file's versions, newest first,
 * the current content first of all; `POST /files/versions/restore` makes one
 * of them the file's content again.
 */

/** A version id: 16 random bytes as lowercase hex. */
export const versionIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'a version id is 32 lowercase hex digits');

export const fileVersionSchema = z.object({
  versionId: versionIdSchema,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  contentHash: hex64,
  /** The file's mtime as the writing client reported it (ms since the epoch). */
  mtime: z.number().int(),
  /** When the service stored this content (ms since the epoch). */
  writtenAt: z.number().int(),
  /** The name of the device (signed-in session) that wrote it; null when unknown. */
  device: z.string().max(256).nullable(),
  /** True for the file's current content; the others are previous versions. */
  current: z.boolean(),
});
export type FileVersion = z.infer<typeof fileVersionSchema>;

export const versionsQuery = z.object({ path: entryPath });
export const versionsResponse = z.object({
  /** The file as it is now. */
  entry: entrySchema,
  /** Newest first; the first one is the current content. */
  versions: z.array(fileVersionSchema),
});
export type VersionsResponse = z.infer<typeof versionsResponse>;

/** `ifRev`: the file's rev the restore expects (409 `conflict` when it changed meanwhile). */
export const restoreVersionRequest = z.object({ path: entryPath, versionId: versionIdSchema, ifRev });
export type RestoreVersionRequest = z.input<typeof restoreVersionRequest>;

/** A file's history as the client hands it on (to the UI, the CLI): its path and its versions, newest first. */
export const fileVersionsSchema = z.object({
  path: receivedEntryPath,
  versions: z.array(fileVersionSchema),
});
export type FileVersions = z.infer<typeof fileVersionsSchema>;
