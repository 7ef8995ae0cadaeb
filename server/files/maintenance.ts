import type { ServerContext } from '../context.js';
import type { FileStore } from './fileStore.js';

/** How often old trash, old versions and old change rows are dropped. */
export const MAINTENANCE_INTERVAL_MS = 10 * 60 * 1000;

/** One maintenance pass: purge trash, previous versions and changes past their retention. */
export async function runFilesMaintenance(
  files: FileStore, ctx: Pick<ServerContext, 'config' | 'now'>,
): Promise<{ purged: number; pruned: number; versions: number }> {
  const now = ctx.now();
  const purged = await files.purgeTrash(now - ctx.config.trashRetentionSeconds * 1000);
  const versions = await files.pruneVersions(now - ctx.config.versions.retentionSeconds * 1000);
  const pruned = await files.pruneChanges(now - ctx.config.changeRetentionSeconds * 1000);
  return { purged, pruned, versions };
}

/** Runs maintenance periodically until the app closes; the timer never keeps the process alive. */
export function scheduleFilesMaintenance(files: FileStore, ctx: ServerContext, intervalMs = MAINTENANCE_INTERVAL_MS): void {
  const timer = setInterval(() => {
    runFilesMaintenance(files, ctx).then(
      (counts) => ctx.log.debug(counts, 'files maintenance'),
      (error: unknown) => ctx.log.error({ err: error }, 'files maintenance failed'),
    );
  }, intervalMs);
  timer.unref();
  ctx.onClose(() => clearInterval(timer));
}
