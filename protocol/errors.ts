import { z } from 'zod';

/**
 * Stable error codes of the wire contract. Clients branch on these, so a code
 * is never renamed or reused for another meaning; new ones may be added.
 */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_path',
  'unauthorized',
  'token_expired',
  'invalid_credentials',
  'refresh_token_reused',
  'rate_limited',
  'username_taken',
  'forbidden',
  'not_found',
  'already_exists',
  'case_conflict',
  'not_a_folder',
  'not_a_file',
  'conflict',
  'parent_not_found',
  'cursor_expired',
  'content_hash_mismatch',
  'block_hashes_mismatch',
  'chunk_hash_mismatch',
  'chunk_out_of_range',
  'chunk_length_mismatch',
  'chunk_busy',
  'upload_incomplete',
  'upload_expired',
  'proof_invalid',
  'range_not_satisfiable',
  'payload_too_large',
  'insufficient_storage',
  'storage_unavailable',
  'internal_error',
  'provider_error',
  'invalid_grant',
  'quota_exceeded',
  'share_not_found',
  'share_revoked',
  'share_expired',
  'share_exhausted',
  'share_entry_deleted',
  'share_code_invalid',
  'share_locked',
  'version_not_found',
] as const;

export const errorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const errorBodySchema = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    /** Extra machine-readable detail, e.g. the current entry on a `conflict`. */
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The HTTP status that goes with each code unless a route has a better one. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_path: 400,
  unauthorized: 401,
  token_expired: 401,
  invalid_credentials: 401,
  refresh_token_reused: 401,
  rate_limited: 429,
  username_taken: 409,
  forbidden: 403,
  not_found: 404,
  already_exists: 409,
  case_conflict: 409,
  not_a_folder: 409,
  not_a_file: 409,
  conflict: 409,
  parent_not_found: 409,
  cursor_expired: 410,
  content_hash_mismatch: 400,
  block_hashes_mismatch: 400,
  chunk_hash_mismatch: 400,
  chunk_out_of_range: 416,
  chunk_length_mismatch: 400,
  chunk_busy: 409,
  upload_incomplete: 409,
  upload_expired: 410,
  proof_invalid: 403,
  range_not_satisfiable: 416,
  payload_too_large: 413,
  insufficient_storage: 507,
  /** The content store (S3) is unreachable, slow or throttling; nothing was committed, try again later. */
  storage_unavailable: 503,
  internal_error: 500,
  /** A sign-in provider (QQ, an OpenID Connect issuer) refused or failed; its own code is in details. */
  provider_error: 502,
  /** A one-time sign-in code that is unknown, used, expired, or presented with the wrong verifier or redirect_uri. */
  invalid_grant: 400,
  /**
   * The user's files plus open uploads would pass their storage quota. 507 like
   * WebDAV's "insufficient storage", told apart from a full service disk
   * (`insufficient_storage`) by the code: it does not go away by retrying.
   */
  quota_exceeded: 507,
  /** Share links: no such link; its owner revoked it; it expired; its download limit is used up; its file or folder was deleted. */
  share_not_found: 404,
  share_revoked: 410,
  share_expired: 410,
  share_exhausted: 410,
  share_entry_deleted: 410,
  /** A wrong extraction code (throttled: too many give `rate_limited`). */
  share_code_invalid: 403,
  /** The link needs its code first: no share token, or one that expired. */
  share_locked: 401,
  version_not_found: 404,
};
