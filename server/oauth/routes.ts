import type { FastifyInstance } from 'fastify';
import {
  API_PREFIX, authorizationCodeRequest, linkedProvidersResponse, linkIntentResponse, oauthAuthorizeQuery,
  oauthCallbackQuery, providerParams, tokenPairResponse,
} from '../../protocol/api.js';
import type { RefreshTokenStore } from '../auth/refreshTokens.js';
import { tokenPair } from '../auth/tokenPairs.js';
import type { UserStore } from '../auth/userStore.js';
import type { ServerContext } from '../context.js';
import { ApiError, isApiError } from '../errors.js';
import { defineRoute } from '../http/routes.js';
import { LINK_TICKET_TTL_MS, type OAuthFlowStore, type RedeemedCode } from './flowStore.js';
import { checkLoopbackRedirect, loopbackUrl } from './loopbackRedirect.js';
import type { ProviderIdentities } from './providerIdentities.js';
import type { ProviderRegistry } from './providers/registry.js';
import { newSecret, pkceChallenge } from './secrets.js';

export interface OAuthServices {
  providers: ProviderRegistry;
  flows: OAuthFlowStore;
  identities: ProviderIdentities;
  users: UserStore;
  refreshTokens: RefreshTokenStore;
}

const UNNAMED_DEVICE = 'unnamed device';

export function registerOAuthRoutes(app: FastifyInstance, ctx: ServerContext, services: OAuthServices): void {
  const { providers, flows, identities, users, refreshTokens } = services;
  // Read per request: the public URL may be settled only once the server listens.
  const callbackUrl = (provider: string) => `${ctx.config.publicUrl}${API_PREFIX}/auth/oauth/${provider}/callback`;

  defineRoute(app, ctx, {
    method: 'GET', url: '/auth/oauth/:provider/authorize', summary: 'Start signing in with a provider (opened in the browser)',
    auth: false, params: providerParams, query: oauthAuthorizeQuery, responses: { 302: null },
  }, async ({ params, query, reply }) => {
    const provider = providers.get(params.provider);
    const redirectUri = checkLoopbackRedirect(query.redirect_uri);
    const linkUserId = query.link_ticket ? await flows.takeLinkTicket(query.link_ticket, provider.name) : null;
    const nonce = newSecret();
    const providerVerifier = newSecret();
    const state = await flows.startFlow({
      provider: provider.name, redirectUri, clientState: query.state, codeChallenge: query.code_challenge,
      nonce, providerVerifier, linkUserId,
    });
    const url = await provider.authorizationUrl({ state, nonce, codeChallenge: pkceChallenge(providerVerifier), redirectUri: callbackUrl(provider.name) });
    return reply.redirect(url, 302);
  });

  defineRoute(app, ctx, {
    method: 'GET', url: '/auth/oauth/:provider/callback', summary: 'The provider sends the browser back here; it goes on to the client loopback',
    auth: false, params: providerParams, query: oauthCallbackQuery, responses: { 302: null },
  }, async ({ params, query, request, reply }) => {
    const provider = providers.get(params.provider);
    const flow = query.state === undefined ? undefined : await flows.takeFlowFor(provider.name, query.state);
    // Without a flow there is no loopback we may trust to send the browser to.
    if (!flow) throw new ApiError('invalid_request', 'this sign-in is unknown, already finished or expired; start it again from the app');
    const backToClient = (result: Record<string, string>) =>
      reply.redirect(loopbackUrl(flow.redirectUri, { ...result, state: flow.clientState }), 302);
    if (query.error !== undefined || query.code === undefined) {
      return backToClient({
        error: query.error ?? 'invalid_request',
        error_description: query.error_description ?? (query.error ? `${provider.name} refused the sign-in` : `${provider.name} sent no code`),
      });
    }
    try {
      const identity = await provider.identify({
        code: query.code, redirectUri: callbackUrl(provider.name), nonce: flow.nonce, codeVerifier: flow.providerVerifier,
      });
      if (flow.linkUserId === null) {
        return backToClient({ code: await flows.issueCode(await identities.signIn(provider.name, identity), flow) });
      }
      // A link completes only when the client that started the flow redeems the code with its
      // PKCE verifier: a link URL opened in someone else's browser links nothing.
      await identities.checkLinkable(flow.linkUserId, provider.name, identity.providerId);
      return backToClient({ code: await flows.issueCode(flow.linkUserId, flow, { provider: provider.name, providerId: identity.providerId }) });
    } catch (error) {
      if (!isApiError(error)) throw error;
      request.log.warn({ provider: provider.name, code: error.code, details: error.details }, error.message);
      return backToClient({ error: error.code, error_description: error.message });
    }
  });

  defineRoute(app, ctx, {
    method: 'POST', url: '/auth/token', summary: 'Trade a one-time sign-in code and its PKCE verifier for a token pair',
    auth: false, body: authorizationCodeRequest, responses: { 200: tokenPairResponse },
  }, async ({ body }) => {
    let redeemed: RedeemedCode;
    try {
      redeemed = await flows.redeemCode({ code: body.code, codeVerifier: body.code_verifier, redirectUri: body.redirect_uri });
    } catch (error) {
      // RFC 6749 §4.1.2: a code presented twice may have been stolen; what it gave is revoked.
      const replayed = await flows.sessionOfUsedCode(body.code);
      if (replayed) await refreshTokens.revokeFamilyOf(replayed);
      throw error;
    }
    const user = await users.findById(redeemed.userId);
    if (!user) throw new ApiError('invalid_grant', 'the account no longer exists');
    if (await users.isDisabled(user.id)) throw new ApiError('forbidden', 'this account is disabled; ask the operator of the service');
    if (redeemed.link) await identities.link(user.id, redeemed.link.provider, redeemed.link.providerId);
    const session = await refreshTokens.startSession(user.id, body.deviceName ?? UNNAMED_DEVICE);
    await flows.bindSession(body.code, session.familyId);
    return tokenPair(ctx.accessTokens, session, user);
  });

  defineRoute(app, ctx, {
    method: 'POST', url: '/auth/oauth/:provider/link-intent', summary: 'A single-use ticket that lets the browser flow link a provider to this user',
    auth: true, params: providerParams, responses: { 200: linkIntentResponse },
  }, async ({ params, userId }) => {
    const provider = providers.get(params.provider);
    return { linkTicket: await flows.issueLinkTicket(userId, provider.name), expiresIn: LINK_TICKET_TTL_MS / 1000 };
  });

  defineRoute(app, ctx, {
    method: 'GET', url: '/auth/providers', summary: 'The ways this user can sign in', auth: true,
    responses: { 200: linkedProvidersResponse },
  }, async ({ userId }) => ({ providers: await identities.list(userId) }));

  defineRoute(app, ctx, {
    method: 'DELETE', url: '/auth/providers/:provider', summary: 'Unlink a provider (never the last way to sign in)', auth: true,
    params: providerParams, responses: { 204: null },
  }, async ({ params, userId, reply }) => {
    await identities.unlink(userId, params.provider);
    return reply.code(204).send();
  });
}
