import { z } from 'zod';
import { drivePath } from './api.js';

/**
 * Selective sync: which remote folders this computer keeps. Shared by the UI
 * contract (protocol/bridge.ts) and `netdisk-sync folders --json`.
 *
 * - `kept`: synced here, with everything inside;
 * - `partial`: kept, but some folder inside is not;
 * - `excluding`: being let go of: local edits inside are uploaded first, then
 *   the local copy goes to the trash (nothing is deleted on the service);
 * - `excluded`: stays on the service only.
 */
export const FOLDER_CHOICE_STATES = ['kept', 'partial', 'excluding', 'excluded'] as const;
export const folderChoiceStateSchema = z.enum(FOLDER_CHOICE_STATES);
export type FolderChoiceState = z.infer<typeof folderChoiceStateSchema>;

export const folderChoiceSchema = z.object({
  path: drivePath,
  name: z.string(),
  /** Bytes of all files below, as the service's tree was at the last sync. */
  size: z.number().int().nonnegative(),
  /** Files below, at any depth. */
  files: z.number().int().nonnegative(),
  /** Whether it holds folders (the UI offers to expand it). */
  hasFolders: z.boolean(),
  state: folderChoiceStateSchema,
});
export type FolderChoice = z.infer<typeof folderChoiceSchema>;

/** The folders directly inside `path` and the "sync new folders" setting. */
export const folderListingSchema = z.object({
  path: drivePath,
  syncNewFolders: z.boolean(),
  folders: z.array(folderChoiceSchema),
});
export type FolderListing = z.infer<typeof folderListingSchema>;
