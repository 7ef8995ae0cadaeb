import type { FastifyInstance } from 'fastify';
import { createShareRequest, shareIdParams, shareResponse, sharesResponse } from '../../protocol/shares.js';
import type { ServerContext } from '../context.js';
import { defineRoute } from '../http/routes.js';
import type { ShareService } from './shareService.js';

/** The owner's routes: create, list and revoke their share links. */
export function registerShareRoutes(app: FastifyInstance, ctx: ServerContext, service: ShareService): void {
  defineRoute(app, ctx, {
    method: 'POST', url: '/shares', summary: 'Create a share link for a file or folder', auth: true,
    body: createShareRequest, responses: { 201: shareResponse },
  }, async ({ userId, body, reply }) => {
    const share = await service.create(userId, body);
    reply.code(201);
    return { share };
  });

  defineRoute(app, ctx, {
    method: 'GET', url: '/shares', summary: 'The signed-in user\'s share links, newest first', auth: true,
    responses: { 200: sharesResponse },
  }, async ({ userId }) => ({ shares: await service.list(userId) }));

  defineRoute(app, ctx, {
    method: 'DELETE', url: '/shares/:id', summary: 'Revoke a share link (it then answers share_revoked)', auth: true,
    params: shareIdParams, responses: { 200: shareResponse },
  }, async ({ userId, params }) => ({ share: await service.revoke(userId, params.id) }));
}
