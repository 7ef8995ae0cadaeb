import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { API_PREFIX } from '../../protocol/api.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { ApiError } from '../errors.js';
import type { AccessClaims, AccessTokens } from '../auth/accessTokens.js';
import type { RefreshTokenStore } from '../auth/refreshTokens.js';
import { parse } from './validate.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

/** A response body of raw bytes (a download), documented as `application/octet-stream`. */
export const BYTE_STREAM = 'application/octet-stream';
/** A response body that is a file's bytes or, for a folder, a zip of it (share links). */
export const BYTES_OR_ZIP = [BYTE_STREAM, 'application/zip'] as const;

/** One route of the public contract: registered with fastify and listed in the OpenAPI document. */
export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, P extends z.ZodType | undefined> {
  method: Method;
  /** Below /api/v1, fastify syntax (`/uploads/:id`). */
  url: string;
  summary: string;
  /** Requires `Authorization: Bearer <access token>`. */
  auth: boolean;
  body?: B;
  query?: Q;
  params?: P;
  /** Status -> response body: a JSON schema, BYTE_STREAM (a file's bytes) or BYTES_OR_ZIP, or null (no body, e.g. 204, 304, a redirect). */
  responses: Record<number, z.ZodType | typeof BYTE_STREAM | typeof BYTES_OR_ZIP | null>;
  /** The body is read by the handler as a byte stream (`request.raw`). */
  rawBody?: boolean;
  /** Largest JSON body in bytes, when the route needs more than JSON_BODY_LIMIT. */
  bodyLimit?: number;
}

/** Largest JSON body of a route that names no limit of its own; bigger ones are 413 unread. */
export const JSON_BODY_LIMIT = 1024 * 1024;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<B, Q, P> {
  body: Out<B>;
  query: Out<Q>;
  params: Out<P>;
  /** The authenticated user; empty for routes without `auth`. */
  userId: string;
  /** The refresh-token family (device session) of the access token; empty for routes without `auth`. */
  sessionId: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

export type RouteRegistry = RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>[];

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (!match) throw new ApiError('unauthorized', 'the Authorization header must be "Bearer <token>"');
  return match[1];
}

export interface AuthDeps {
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokenStore;
}

/** The claims of a valid access token whose session is still signed in; throws `unauthorized` or `token_expired`. */
async function authenticate(deps: AuthDeps, request: FastifyRequest): Promise<AccessClaims> {
  const token = bearerToken(request);
  if (!token) throw new ApiError('unauthorized', 'sign in first: no access token was sent');
  const claims = await deps.accessTokens.verify(token);
  if (!await deps.refreshTokens.isLive(claims.userId, claims.sessionId)) {
    throw new ApiError('unauthorized', 'this session was signed out; sign in again');
  }
  return claims;
}

function announcesBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The most a refused request's body is read (and discarded, never buffered)
 * to keep its connection: enough for the largest chunk.
 */
const REFUSED_BODY_DRAIN_BYTES = 64 * 1024 * 1024;

const DRAINED_REFUSALS: ReadonlySet<ErrorCode> = new Set(['token_expired', 'chunk_busy']);

/**
 * Reads and discards the body of a request refused with a code our own
 * client must see to act on it, so its connection stays usable: a chunk
 * upload that outlived its access token must see the 401 that tells it to
 * refresh (`token_expired`), a chunk another request still holds the 409 that
 * tells it to wait (`chunk_busy`); closing instead makes the body write fail
 * with EPIPE first, and the client cannot tell the refusal from a broken
 * connection. Only for those codes, and only up to REFUSED_BODY_DRAIN_BYTES
 * (declared or, for a chunked body, counted): a stranger's body (no token, a
 * forged or revoked one) is never read. Returns false when the connection
 * must close instead.
 */
export function drainRefusedBody(request: FastifyRequest, error: unknown): boolean {
  if (!(error instanceof ApiError) || !DRAINED_REFUSALS.has(error.code)) return false;
  const declared = Number(request.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(declared) || declared > REFUSED_BODY_DRAIN_BYTES) return false;
  let seen = 0;
  request.raw.on('data', (data: Buffer) => {
    seen += data.length;
    if (seen > REFUSED_BODY_DRAIN_BYTES) request.raw.socket.destroy();
  });
  return true;
}

/** Who each authenticated request is, set before its body is read. */
const claimsOf = new WeakMap<FastifyRequest, AccessClaims>();

/**
 * Registers a route whose inputs are parsed with the protocol's zod schemas
 * before the handler runs; the handler's return value is the JSON answer.
 */
export function defineRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined>(
  app: FastifyInstance,
  deps: AuthDeps & { routes: RouteRegistry },
  spec: RouteSpec<B, Q, P>,
  handler: (input: RouteInput<B, Q, P>) => Promise<unknown>,
): void {
  deps.routes.push(spec as RouteRegistry[number]);
  app.route({
    method: spec.method,
    url: `${API_PREFIX}${spec.url}`,
    ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
    // onRequest runs before the body is read: a stranger's request is refused unread.
    ...(spec.auth ? {
      onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
        try {
          claimsOf.set(request, await authenticate(deps, request));
        } catch (error) {
          // The body the stranger is still sending is not wanted: close instead of reading it.
          if (announcesBody(request) && !drainRefusedBody(request, error)) reply.header('connection', 'close');
          throw error;
        }
      },
    } : {}),
    handler: async (request, reply) => {
      const claims = claimsOf.get(request);
      const userId = claims?.userId ?? '';
      const sessionId = claims?.sessionId ?? '';
      const input = {
        body: (spec.body ? parse(spec.body, request.body) : undefined) as Out<B>,
        query: (spec.query ? parse(spec.query, request.query) : undefined) as Out<Q>,
        params: (spec.params ? parse(spec.params, request.params) : undefined) as Out<P>,
        userId,
        sessionId,
        request,
        reply,
      };
      const result = await handler(input);
      if (reply.sent) return reply;
      return result;
    },
  });
}
