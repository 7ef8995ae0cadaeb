import type { ServerModule } from '../app.js';
import { registerBatchRoute } from './batch.js';
import { ProofChallenges } from './challenges.js';
import { ContentPins } from './contentPins.js';
import { registerDownloadRoute } from './download.js';
import { COLLECT_INTERVAL_MS, collectGarbage } from './garbage.js';
import { registerUploadRoutes } from './routes.js';
import { uploadMigrations, uploadPgMigrations } from './schema.js';
import { Uploads } from './uploads.js';

/** File content: blob storage, chunked, instant and batch upload, Range download, and their garbage collection. */
export const uploadsModule: ServerModule = {
  migrations: { sqlite: uploadMigrations, postgres: uploadPgMigrations },
  register(app, ctx) {
    const { store: blobs, directReads, maxChunks } = ctx.blobs;
    const pins = new ContentPins();
    const challenges = new ProofChallenges(ctx.metadata.challenges, ctx.now);
    const uploads = new Uploads({
      files: ctx.files,
      blobs,
      sessions: ctx.metadata.uploadSessions,
      challenges,
      pins,
      quota: ctx.storage,
      chunkSize: ctx.config.chunkSize,
      uploadTtlSeconds: ctx.config.uploadTtlSeconds,
      ...(maxChunks !== undefined ? { maxChunks } : {}),
      now: ctx.now,
    });
    registerUploadRoutes(app, ctx, uploads);
    registerBatchRoute(app, ctx, blobs, pins);
    registerDownloadRoute(app, ctx, blobs, directReads);

    const garbage = { uploads, files: ctx.files, blobs, pins, challenges, now: ctx.now };
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = collectGarbage(garbage).catch((error: unknown) => ctx.log.error({ err: error }, 'garbage collection failed'));
    }, COLLECT_INTERVAL_MS);
    timer.unref();
    ctx.onClose(async () => {
      clearInterval(timer);
      await running;
      await uploads.flushPending();
    });
  },
};
