import type { ServerModule } from '../app.js';
import { registerBatchRoute } from './batch.js';
import { ProofChallenges } from './challenges.js';
import { registerDownloadRoute } from './download.js';
import { collectGarbage } from './garbage.js';
import { runPeriodically } from '../periodic.js';
import { registerUploadRoutes } from './routes.js';
import { uploadMigrations, uploadPgMigrations } from './schema.js';
import { Uploads } from './uploads.js';

/** File content: blob storage, chunked, instant and batch upload, Range download, and their garbage collection. */
export const uploadsModule: ServerModule = {
  migrations: { sqlite: uploadMigrations, postgres: uploadPgMigrations },
  register(app, ctx) {
    const { store: blobs, directReads, maxChunks } = ctx.blobs;
    const { pins } = ctx.metadata;
    const challenges = new ProofChallenges(ctx.metadata.challenges, ctx.metadata.throttles, ctx.now);
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

    // Registered first, so it runs last on close: after the collection timer stopped.
    ctx.onClose(() => uploads.flushPending());
    const garbage = { uploads, files: ctx.files, blobs, pins, challenges, now: ctx.now };
    runPeriodically(ctx, 'garbage collection', ctx.config.collectIntervalSeconds * 1000, () => collectGarbage(garbage));
  },
};
