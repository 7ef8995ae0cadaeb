import type { FastifyInstance } from 'fastify';
import { createUploadRequest, createUploadResponse, chunkParams, entryResponse, uploadIdParams, uploadStatusSchema } from '../../protocol/api.js';
import type { ServerContext } from '../context.js';
import { defineRoute, drainRefusedBody } from '../http/routes.js';
import type { Uploads } from './uploads.js';

export function registerUploadRoutes(app: FastifyInstance, ctx: ServerContext, uploads: Uploads): void {
  defineRoute(app, ctx, {
    method: 'POST',
    url: '/uploads',
    summary: 'Start an upload: done at once (empty or proven instant upload), a possession challenge, or a chunked session',
    auth: true,
    body: createUploadRequest,
    responses: { 200: createUploadResponse, 201: createUploadResponse },
  }, async ({ userId, sessionId, body, reply }) => {
    const created = await uploads.create(userId, body, await ctx.refreshTokens.deviceName(userId, sessionId));
    reply.code(created.status);
    return created.body;
  });

  defineRoute(app, ctx, {
    method: 'GET', url: '/uploads/:id', summary: 'Which chunks an upload has received', auth: true,
    params: uploadIdParams, responses: { 200: uploadStatusSchema },
  }, async ({ userId, params }) => uploads.status(userId, params.id));

  defineRoute(app, ctx, {
    method: 'PUT',
    url: '/uploads/:id/chunks/:n',
    summary: 'Send chunk n (application/octet-stream); checked against its declared block digests',
    auth: true,
    params: chunkParams,
    rawBody: true,
    responses: { 200: uploadStatusSchema },
  }, async ({ userId, params, request, reply }) => {
    const header = request.headers['content-length'];
    const declared = header === undefined ? undefined : Number(header);
    try {
      return await uploads.putChunk(userId, params.id, params.n, request.raw, declared);
    } catch (error) {
      // Whatever the client still has to send is not wanted: close instead of reading it, unless the client
      // must see this refusal to act on it.
      if (!request.raw.complete && !drainRefusedBody(request, error)) reply.header('connection', 'close');
      throw error;
    }
  });

  defineRoute(app, ctx, {
    method: 'POST', url: '/uploads/:id/complete', summary: 'Commit an upload whose chunks have all arrived', auth: true,
    params: uploadIdParams, responses: { 200: entryResponse },
  }, async ({ userId, sessionId, params }) => ({ entry: await uploads.complete(userId, params.id, await ctx.refreshTokens.deviceName(userId, sessionId)) }));

  defineRoute(app, ctx, {
    method: 'DELETE', url: '/uploads/:id', summary: 'Abandon an upload and its staged bytes', auth: true,
    params: uploadIdParams, responses: { 204: null },
  }, async ({ userId, params, reply }) => {
    await uploads.abort(userId, params.id);
    return reply.code(204).send();
  });
}
