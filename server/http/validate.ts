import type { z } from 'zod';
import type { ErrorCode } from '../../protocol/errors.js';
import { ApiError } from '../errors.js';

/**
 * Parses untrusted input against a protocol schema. Path problems get their own
 * code (`invalid_path`) so clients can tell a hostile name from a malformed body.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const params = issue && 'params' in issue ? (issue.params as { errorCode?: ErrorCode } | undefined) : undefined;
  const code: ErrorCode = params?.errorCode ?? 'invalid_request';
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new ApiError(code, `${where}${issue?.message ?? 'invalid input'}`);
}
