import { z } from 'zod';

/**
 * The engine <-> UI contract: what the desktop app, the web bridge and the CLI
 * may observe and ask of the sync engine. Plain data only; no tokens, no paths
 * outside the sync folder, no file descriptors.
 */

export const engineStateSchema = z.enum(['idle', 'scanning', 'syncing', 'paused', 'offline', 'error', 'signed_out']);
export type EngineState = z.infer<typeof engineStateSchema>;

export const transferSchema = z.object({
  id: z.string(),
  direction: z.enum(['upload', 'download']),
  /** Drive path. */
  path: z.string(),
  size: z.number().int().nonnegative(),
  bytesDone: z.number().int().nonnegative(),
  /** Bytes per second, smoothed. */
  rate: z.number().nonnegative(),
  /** Seconds left at the current rate; null when unknown. */
  eta: z.number().nonnegative().nullable(),
  state: z.enum(['queued', 'active', 'paused', 'failed', 'done']),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type Transfer = z.infer<typeof transferSchema>;

export const progressSchema = z.object({
  filesTotal: z.number().int().nonnegative(),
  filesDone: z.number().int().nonnegative(),
  bytesTotal: z.number().int().nonnegative(),
  bytesDone: z.number().int().nonnegative(),
  rate: z.number().nonnegative(),
  eta: z.number().nonnegative().nullable(),
});
export type Progress = z.infer<typeof progressSchema>;

export const activitySchema = z.object({
  at: z.number().int(),
  action: z.enum(['uploaded', 'downloaded', 'deleted_local', 'deleted_remote', 'moved_local', 'moved_remote', 'created_folder', 'conflict']),
  path: z.string(),
  /** For moves: the old path; for conflicts: the conflicted copy's path. */
  otherPath: z.string().optional(),
});
export type Activity = z.infer<typeof activitySchema>;

export const issueSchema = z.object({
  /**
   * Stable code, e.g. `symlink`, `invalid_name` (a name this computer cannot hold, either side),
   * `invalid_remote_path` (the service sent a path or entry the client refuses), `mass_delete`,
   * `inotify_limit`, `disk_full`.
   */
  code: z.string(),
  message: z.string(),
  path: z.string().optional(),
});
export type EngineIssue = z.infer<typeof issueSchema>;

export const engineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: engineStateSchema, detail: z.string().optional() }),
  z.object({ type: z.literal('progress'), progress: progressSchema }),
  z.object({ type: z.literal('transfer'), transfer: transferSchema }),
  z.object({ type: z.literal('activity'), activity: activitySchema }),
  z.object({ type: z.literal('issue'), issue: issueSchema }),
  z.object({
    type: z.literal('massDelete'),
    /** How many deletes are held back, and on which side they would happen. */
    count: z.number().int(),
    side: z.enum(['local', 'remote']),
    total: z.number().int(),
  }),
]);
export type EngineEvent = z.infer<typeof engineEventSchema>;
