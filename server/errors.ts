import { ERROR_STATUS, type ErrorCode } from '../protocol/errors.js';

/** A refusal with a stable code; the error handler turns it into the wire error body. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    status?: number,
    /** What caused it (an S3 SDK error, say): logged for the operator, never sent. */
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ApiError';
    this.status = status ?? ERROR_STATUS[code];
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
