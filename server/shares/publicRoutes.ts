import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  publicShareResponse, SHARE_TOKEN_HEADER, sharedListResponse, sharedPathQuery, shareIdParams, unlockShareRequest, unlockShareResponse,
} from '../../protocol/shares.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { ServerContext } from '../context.js';
import { ApiError } from '../errors.js';
import { BYTE_STREAM, BYTES_OR_ZIP, defineRoute } from '../http/routes.js';
import { sendSharedEntry } from './sharedDownload.js';
import type { ShareService } from './shareService.js';

function shareToken(request: FastifyRequest): string | undefined {
  const value = request.headers[SHARE_TOKEN_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** A retry-after header for a throttled code, then the refusal itself. */
export function withRetryAfter(error: unknown, setHeader: (seconds: string) => void): unknown {
  if (error instanceof ApiError && error.code === 'rate_limited' && typeof error.details?.retryAfterSeconds === 'number') {
    setHeader(String(error.details.retryAfterSeconds));
  }
  return error;
}

/** A recipient's routes (no account): the link's state, the code, a folder's listing, downloads. */
export function registerPublicShareRoutes(app: FastifyInstance, ctx: ServerContext, service: ShareService, blobs: BlobStore): void {
  defineRoute(app, ctx, {
    method: 'GET', url: '/s/:id', summary: 'Whether a share link works and needs a code', auth: false,
    params: shareIdParams, responses: { 200: publicShareResponse },
  }, async ({ params }) => {
    const { share } = await service.open(params.id);
    return { needsCode: share.code !== null, expiresAt: share.expiresAt };
  });

  defineRoute(app, ctx, {
    method: 'POST', url: '/s/:id/unlock', summary: `Trade the extraction code for a token (send it as ${SHARE_TOKEN_HEADER})`, auth: false,
    params: shareIdParams, body: unlockShareRequest, responses: { 200: unlockShareResponse },
  }, async ({ params, body, request, reply }) => {
    try {
      const { open, token, expiresAt } = await service.unlock(params.id, body.code, request.ip);
      return { token, expiresIn: Math.max(1, Math.floor((expiresAt - ctx.now()) / 1000)), name: open.entry.name, kind: open.entry.kind, size: open.entry.size };
    } catch (error) {
      throw withRetryAfter(error, (seconds) => reply.header('retry-after', seconds));
    }
  });

  defineRoute(app, ctx, {
    method: 'GET', url: '/s/:id/entries', summary: 'A folder\'s children inside a shared folder', auth: false,
    params: shareIdParams, query: sharedPathQuery, responses: { 200: sharedListResponse },
  }, async ({ params, query, request }) => {
    const open = await service.authorize(params.id, shareToken(request));
    return { entries: await service.listFolder(open, await service.resolve(open, query.path)) };
  });

  for (const method of ['HEAD', 'GET'] as const) {
    defineRoute(app, ctx, {
      method, url: '/s/:id/content',
      summary: method === 'GET' ? 'Download a shared file (Range honoured) or folder (zip); counts one download' : 'A shared download\'s headers',
      auth: false, params: shareIdParams, query: sharedPathQuery,
      // A file's bytes (Range honoured) or a folder's zip; HEAD answers the same headers without them.
      responses: method === 'GET' ? { 200: BYTES_OR_ZIP, 206: BYTE_STREAM, 304: null } : { 200: null, 206: null, 304: null },
    }, async ({ params, query, request, reply }) => {
      const open = await service.authorize(params.id, shareToken(request));
      return sendSharedEntry({ service, files: ctx.files, blobs }, open, await service.resolve(open, query.path), request, reply);
    });
  }
}
