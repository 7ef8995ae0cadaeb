import type { FastifyInstance } from 'fastify';
import {
  loginRequest, logoutRequest, meResponse, refreshRequest, registerRequest, registerResponse,
  sessionIdParams, sessionsResponse, tokenPairResponse,
} from '../../protocol/api.js';
import type { ServerContext } from '../context.js';
import { ApiError } from '../errors.js';
import { defineRoute } from '../http/routes.js';
import { addressKey } from './clientAddress.js';
import type { LoginThrottle } from './loginThrottle.js';
import type { PasswordHasher } from './passwords.js';
import type { SlidingWindowLimiter } from './rateLimiter.js';
import type { RefreshTokenStore } from './refreshTokens.js';
import { tokenPair } from './tokenPairs.js';
import type { UserStore } from './userStore.js';

export interface AuthServices {
  users: UserStore;
  passwords: PasswordHasher;
  refreshTokens: RefreshTokenStore;
  throttle: LoginThrottle;
  /** Registration attempts per client address. */
  registrations: SlidingWindowLimiter;
}

const UNNAMED_DEVICE = 'unnamed device';

export function registerAuthRoutes(app: FastifyInstance, ctx: ServerContext, services: AuthServices): void {
  const { users, passwords, refreshTokens, throttle, registrations } = services;

  defineRoute(app, ctx, {
    method: 'POST', url: '/auth/register', summary: 'Create a password account', auth: false,
    body: registerRequest, responses: { 201: registerResponse },
  }, async ({ body, request, reply }) => {
    if (ctx.config.registration === 'closed') {
      throw new ApiError('forbidden', 'registration is closed on this service; its operator creates accounts');
    }
    const address = addressKey(request.ip);
    const waitMs = registrations.retryAfterMs(address);
    if (waitMs > 0) {
      reply.header('retry-after', String(Math.ceil(waitMs / 1000)));
      throw new ApiError('rate_limited', 'too many registrations from this address; try again later');
    }
    registrations.hit(address);
    // Fail fast before the costly hash; the unique index still settles races.
    if (await users.usernameTaken(body.username)) throw new ApiError('username_taken', `the username "${body.username}" is taken`);
    const user = await users.createWithPassword(body.username, await passwords.hash(body.password));
    reply.code(201);
    return { user };
  });

  defineRoute(app, ctx, {
    method: 'POST', url: '/auth/login', summary: 'Sign in with username and password', auth: false,
    body: loginRequest, responses: { 200: tokenPairResponse },
  }, async ({ body, request, reply }) => {
    const waitMs = throttle.begin(request.ip, body.username);
    if (waitMs > 0) {
      reply.header('retry-after', String(Math.ceil(waitMs / 1000)));
      throw new ApiError('rate_limited', 'too many failed sign-ins; try again later');
    }
    const account = await users.findByUsername(body.username);
    const stored = account?.passwordHash;
    const valid = stored ? await passwords.verify(body.password, stored) : await passwords.verifyNothing(body.password);
    // One answer for "no such user" and "wrong password": it must not reveal which names exist.
    if (!account || !stored || !valid) throw new ApiError('invalid_credentials', 'wrong username or password');
    throttle.succeeded(request.ip, body.username);
    // Told only to whoever knows the password: it reveals nothing to a guesser.
    if (account.disabled) throw new ApiError('forbidden', 'this account is disabled; ask the operator of the service');
    if (passwords.needsRehash(stored)) {
      await users.updatePasswordHash(account.user.id, await passwords.hash(body.password));
    }
    return tokenPair(ctx.accessTokens, await refreshTokens.startSession(account.user.id, body.deviceName ?? UNNAMED_DEVICE), account.user);
  });

  defineRoute(app, ctx, {
    method: 'POST', url: '/auth/refresh', summary: 'Trade a refresh token for a new pair (the old one dies)', auth: false,
    body: refreshRequest, responses: { 200: tokenPairResponse },
  }, async ({ body }) => {
    const issued = await refreshTokens.rotate(body.refreshToken);
    const user = await users.findById(issued.userId);
    if (!user || await users.isDisabled(user.id)) throw new ApiError('unauthorized', 'the account no longer exists or is disabled');
    return tokenPair(ctx.accessTokens, issued, user);
  });

  defineRoute(app, ctx, {
    method: 'POST', url: '/auth/logout', summary: 'Sign out the session of a refresh token', auth: false,
    body: logoutRequest, responses: { 204: null },
  }, async ({ body, reply }) => {
    await refreshTokens.revokeSessionOf(body.refreshToken);
    return reply.code(204).send();
  });

  defineRoute(app, ctx, {
    method: 'GET', url: '/me', summary: 'The signed-in user', auth: true, responses: { 200: meResponse },
  }, async ({ userId }) => {
    const user = await users.findById(userId);
    if (!user) throw new ApiError('unauthorized', 'the account no longer exists');
    return { user, storage: await ctx.storage.usage(userId) };
  });

  defineRoute(app, ctx, {
    method: 'GET', url: '/auth/sessions', summary: 'Signed-in devices of this user', auth: true,
    responses: { 200: sessionsResponse },
  }, async ({ userId, sessionId }) => ({
    sessions: (await refreshTokens.listSessions(userId)).map((session) => ({ ...session, current: session.id === sessionId })),
  }));

  defineRoute(app, ctx, {
    method: 'DELETE', url: '/auth/sessions/:id', summary: 'Sign out one device', auth: true,
    params: sessionIdParams, responses: { 204: null },
  }, async ({ userId, params, reply }) => {
    // Another user's session is answered exactly like a missing one.
    if (!await refreshTokens.revokeSession(userId, params.id)) throw new ApiError('not_found', 'no such session');
    return reply.code(204).send();
  });
}
