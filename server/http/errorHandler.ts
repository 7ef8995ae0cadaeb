import type { FastifyError, FastifyInstance } from 'fastify';
import type { ErrorBody, ErrorCode } from '../../protocol/errors.js';
import { isApiError } from '../errors.js';
import { isOutOfStorage } from '../storageErrors.js';

function body(code: ErrorBody['error']['code'], message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}

/** Refusals only the operator can end: answered like any other, and logged with their cause. */
const OPERATOR_PROBLEMS: ReadonlySet<ErrorCode> = new Set(['storage_access_denied']);

/** Every refusal leaves as `{"error": {"code", "message"}}`; internals never reach the client. */
export function installErrorHandling(app: FastifyInstance, options: { dataDir: string }): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isApiError(error)) {
      if (OPERATOR_PROBLEMS.has(error.code)) request.log.error({ err: error }, error.message);
      return reply.code(error.status).send(body(error.code, error.message, error.details));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(body('payload_too_large', 'the request body is too large'));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own refusals: malformed JSON, bad content type, and the like.
      return reply.code(400).send(body('invalid_request', error.message));
    }
    if (isOutOfStorage(error, options.dataDir)) {
      // Every write that fails for lack of space, file or database: the client waits and retries later.
      request.log.error({ err: error }, 'disk full');
      return reply.code(507).send(body('insufficient_storage', 'the service is out of disk space; try again later'));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(body('internal_error', 'the service failed; it has been logged'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(body('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
