import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  changesQuery, changesResponse, latestCursorResponse, deleteRequest, entryPathQuery, entryResponse, listResponse, mkdirRequest,
  moveRequest, pathQuery, restoreRequest, trashListResponse,
} from '../../protocol/api.js';
import { restoreVersionRequest, versionsQuery, versionsResponse } from '../../protocol/versions.js';
import type { ServerContext } from '../context.js';
import { ApiError } from '../errors.js';
import { defineRoute } from '../http/routes.js';
import type { FileStore } from './fileStore.js';

/** Aborts when the client goes away before its answer was sent. */
function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * The tree, trash and change-feed routes. `closing` aborts long polls when the
 * service shuts down, so that close does not wait for them to time out.
 */
export function registerFileRoutes(app: FastifyInstance, ctx: ServerContext, files: FileStore, closing: AbortSignal): void {
  defineRoute(app, ctx, { method: 'GET', url: '/files', summary: 'List a folder', auth: true, query: pathQuery, responses: { 200: listResponse } },
    async ({ userId, query }) => ({ entries: await files.list(userId, query.path) }));

  defineRoute(app, ctx, { method: 'GET', url: '/files/meta', summary: 'One entry', auth: true, query: entryPathQuery, responses: { 200: entryResponse } },
    async ({ userId, query }) => {
      const entry = await files.getEntry(userId, query.path);
      if (!entry) throw new ApiError('not_found', `${query.path} does not exist`);
      return { entry };
    });

  defineRoute(app, ctx, { method: 'POST', url: '/files/mkdir', summary: 'Create a folder (idempotent)', auth: true, body: mkdirRequest, responses: { 200: entryResponse } },
    async ({ userId, body }) => ({ entry: await files.mkdir(userId, body.path, body.mtime) }));

  defineRoute(app, ctx, { method: 'POST', url: '/files/move', summary: 'Move or rename an entry with its subtree', auth: true, body: moveRequest, responses: { 200: entryResponse } },
    async ({ userId, body }) => ({ entry: await files.move(userId, body.from, body.to, body.ifRev) }));

  defineRoute(app, ctx, { method: 'POST', url: '/files/delete', summary: 'Move an entry with its subtree to the trash', auth: true, body: deleteRequest, responses: { 200: entryResponse } },
    async ({ userId, body }) => ({ entry: await files.delete(userId, body.path, body.ifRev) }));

  defineRoute(app, ctx, { method: 'GET', url: '/trash', summary: 'List the trash', auth: true, responses: { 200: trashListResponse } },
    async ({ userId }) => ({ items: await files.listTrash(userId) }));

  defineRoute(app, ctx, { method: 'POST', url: '/trash/restore', summary: 'Restore a trash item', auth: true, body: restoreRequest, responses: { 200: entryResponse } },
    async ({ userId, body }) => ({ entry: await files.restore(userId, body.trashId, body.to) }));

  defineRoute(app, ctx, {
    method: 'GET', url: '/files/versions', summary: 'A file\'s versions, newest first (the current content first)', auth: true,
    query: versionsQuery, responses: { 200: versionsResponse },
  }, async ({ userId, query }) => files.listVersions(userId, query.path));

  defineRoute(app, ctx, {
    method: 'POST', url: '/files/versions/restore', summary: 'Make a version the file\'s content again (a new write; the feed carries an update)', auth: true,
    body: restoreVersionRequest, responses: { 200: entryResponse },
  }, async ({ userId, sessionId, body }) => ctx.storage.exclusive(userId, async () => {
    // The restored bytes count again (the content they replace stays as a version): check they fit first.
    const { entry, versions } = await files.listVersions(userId, body.path);
    const version = versions.find((v) => v.versionId === body.versionId);
    if (version && !version.current) await ctx.storage.checkFits(userId, version.size - ctx.storage.freedByReplacing(entry));
    const device = await ctx.refreshTokens.deviceName(userId, sessionId);
    return { entry: await files.restoreVersion(userId, { ...body, device }) };
  }));

  defineRoute(app, ctx, { method: 'GET', url: '/changes/latest', summary: 'The newest cursor, for continuing the feed after a full listing', auth: true, responses: { 200: latestCursorResponse } },
    async ({ userId }) => ({ cursor: await files.latestCursor(userId) }));

  defineRoute(app, ctx, { method: 'GET', url: '/changes', summary: 'Changes after a cursor; long-polls up to `wait` seconds', auth: true, query: changesQuery, responses: { 200: changesResponse } },
    async ({ userId, query, reply }) => {
      // Real time, not ctx.now(): a test's frozen clock must not make a poll endless.
      const deadline = performance.now() + query.wait * 1000;
      const signal = AbortSignal.any([closing, disconnectSignal(reply)]);
      let page = await files.changes(userId, query.cursor, query.limit);
      // A wake-up may come from a write that changed nothing visible (an idempotent mkdir): wait on.
      while (page.changes.length === 0 && !signal.aborted && performance.now() < deadline) {
        await files.waitForChange(userId, query.cursor, deadline - performance.now(), signal);
        page = await files.changes(userId, query.cursor, query.limit);
      }
      return page;
    });
}
