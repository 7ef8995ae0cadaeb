import { z } from 'zod';
import { checkEntryPath, checkPath, isSameOrBelow, nameOf, type PathCheck } from './paths.js';

/** Wire contract v1: the zod schemas both client and service validate against. */
export const API_PREFIX = '/api/v1';

export const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');

/** A path field checked (and NFC-normalized) by `check`; refusals carry the `invalid_path` code. */
function pathField(check: (value: unknown) => PathCheck) {
  return z.string().transform((value, ctx) => {
    const checked = check(value);
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', message: checked.reason, params: { errorCode: 'invalid_path' } });
      return z.NEVER;
    }
    return checked.path;
  });
}

/** A drive path (root allowed), NFC-normalized on parse. */
export const drivePath = pathField(checkPath);

/** A drive path naming an entry (root refused). */
export const entryPath = pathField(checkEntryPath);

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A path as the service sends it back: valid by the same rules the service
 * applies, root refused, and already NFC (the service stores paths
 * normalized, so a path that is not NFC is not one it stored). A refinement,
 * not a transform: the client refuses a path it would have to rewrite.
 */
export const receivedEntryPath = z.string().superRefine((value, ctx) => {
  const checked = checkEntryPath(value);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.reason, params: { errorCode: 'invalid_path' } });
  // A lone surrogate would not survive being stored as UTF-8: it would come back as another name.
  else if (LONE_SURROGATE.test(value)) ctx.addIssue({ code: 'custom', message: 'path is not valid Unicode (a lone UTF-16 surrogate)', params: { errorCode: 'invalid_path' } });
  else if (checked.path !== value) ctx.addIssue({ code: 'custom', message: 'path is not NFC-normalized', params: { errorCode: 'invalid_path' } });
});

/** A name (one path segment) as the service sends it back, by the rules of `receivedEntryPath`. */
export const receivedName = z.string().refine((name) => !name.includes('/') && receivedEntryPath.safeParse(`/${name}`).success,
  'not a valid file or folder name');

const CONTROL_CHARS_OR_LONE_SURROGATES = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;

/**
 * Text shown to people as it is, such as a device's name: valid Unicode
 * without control characters (a terminal obeys an escape sequence in a
 * table), at most `max` characters.
 */
export function displayText(max: number) {
  return z.string().max(max).refine((text) => !CONTROL_CHARS_OR_LONE_SURROGATES.test(text), 'contains control characters or is not valid Unicode text');
}

/** What a client calls itself in the device list and the version history, e.g. "netdisk-sync on laptop". */
export const deviceNameSchema = displayText(128);

/** A list whose items are checked one by one: `accepted` holds the valid ones, `refused` the rest with the reason. */
export interface CheckedItems<T> {
  accepted: T[];
  refused: { item: unknown; reason: string }[];
}

/**
 * An array parsed item by item, so one item the client refuses does not cost
 * it the rest of the answer (a change-feed page, a listing).
 */
export function checkedItems<T extends z.ZodType>(item: T) {
  return z.array(z.unknown()).transform((items): CheckedItems<z.output<T>> => {
    const checked: CheckedItems<z.output<T>> = { accepted: [], refused: [] };
    for (const raw of items) {
      const parsed = item.safeParse(raw);
      if (parsed.success) checked.accepted.push(parsed.data);
      else checked.refused.push({ item: raw, reason: parsed.error.issues.map(describeIssue).join('; ') });
    }
    return checked;
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`;
}

/** `ifRev` precondition: a rev must match; `null` means "must not exist yet"; absent means none. */
export const ifRev = z.string().min(1).max(64).nullable().optional();

// ---------------------------------------------------------------- users, auth

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  createdAt: z.number().int(),
});
export type User = z.infer<typeof userSchema>;

export const usernameSchema = z.string().min(3).max(64).regex(/^[A-Za-z0-9._-]+$/,
  'username may contain letters, digits, ".", "_" and "-"');
export const passwordSchema = z.string().min(8).max(1024);

export const registerRequest = z.object({ username: usernameSchema, password: passwordSchema });
export const registerResponse = z.object({ user: userSchema });

export const loginRequest = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
  /** Shown in the device list and the version history. */
  deviceName: deviceNameSchema.optional(),
});
export const tokenPairResponse = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int(),
  user: userSchema,
});
export type TokenPair = z.infer<typeof tokenPairResponse>;

export const refreshRequest = z.object({ refreshToken: z.string().min(1).max(512) });
export const logoutRequest = refreshRequest;
/** The user's storage: what counts against the quota, and the quota. */
export const storageUsageSchema = z.object({
  /** Files, live and in the trash. */
  usedBytes: z.number().int().nonnegative(),
  /** Declared by uploads still in progress; released when they complete, are aborted or expire. */
  reservedBytes: z.number().int().nonnegative(),
  quotaBytes: z.number().int().nonnegative(),
});
export type StorageUsage = z.infer<typeof storageUsageSchema>;
/** `storage` is optional for clients of older services that did not report it. */
export const meResponse = z.object({ user: userSchema, storage: storageUsageSchema.optional() });

/** A signed-in device: one refresh-token family. */
export const sessionSchema = z.object({
  id: z.string(),
  deviceName: displayText(256),
  createdAt: z.number().int(),
  lastUsedAt: z.number().int(),
  /** The session the request's access token belongs to. */
  current: z.boolean(),
});
export type Session = z.infer<typeof sessionSchema>;
export const sessionsResponse = z.object({ sessions: z.array(sessionSchema) });
export const sessionIdParams = z.object({ id: z.string().min(1).max(64) });

// ---------------------------------------------------------------- sign-in with a provider

/** `qq`, or `oidc:<name>` for a configured OpenID Connect issuer. */
export const providerParams = z.object({ provider: z.string().min(1).max(64) });

/** RFC 7636: 43-128 unreserved characters; S256 challenges are 43 base64url characters. */
export const pkceVerifierSchema = z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/, 'code_verifier must be 43-128 unreserved characters');
export const pkceChallengeSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'code_challenge must be a base64url SHA-256 digest');

/** Opened in the system browser by the client; its loopback `redirect_uri` receives the one-time code. */
export const oauthAuthorizeQuery = z.object({
  redirect_uri: z.string().min(1).max(2048),
  state: z.string().min(1).max(512),
  code_challenge: pkceChallengeSchema,
  code_challenge_method: z.literal('S256'),
  /** From `POST /auth/oauth/:provider/link-intent`: link the provider to that user instead of signing in. */
  link_ticket: z.string().min(1).max(128).optional(),
});

/** What the provider sends the browser back with. */
export const oauthCallbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().min(1).max(512).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
});

export const authorizationCodeRequest = z.object({
  grant_type: z.literal('authorization_code'),
  code: z.string().min(1).max(256),
  code_verifier: pkceVerifierSchema,
  /** Exactly the `redirect_uri` given to authorize. */
  redirect_uri: z.string().min(1).max(2048),
  deviceName: deviceNameSchema.optional(),
});

export const linkIntentResponse = z.object({
  /** Single use; carry it to authorize as `link_ticket`. */
  linkTicket: z.string(),
  expiresIn: z.number().int(),
});

export const linkedProviderSchema = z.object({
  /** `password`, `qq` or `oidc:<name>`. */
  provider: z.string(),
  linkedAt: z.number().int(),
});
export const linkedProvidersResponse = z.object({ providers: z.array(linkedProviderSchema) });

// ---------------------------------------------------------------- files

export const entryKind = z.enum(['file', 'folder']);
export const entrySchema = z.object({
  id: z.string().min(1).max(256),
  path: receivedEntryPath,
  /** The last segment of `path`. */
  name: z.string(),
  kind: entryKind,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  /** Content hash of a file; null for folders. */
  contentHash: hex64.nullable(),
  /** Opaque; changes on every change to the entry. */
  rev: z.string().min(1).max(256),
  /** Milliseconds since the epoch, as the client reported it. */
  mtime: z.number().int(),
}).superRefine((entry, ctx) => {
  if (entry.name !== nameOf(entry.path)) ctx.addIssue({ code: 'custom', path: ['name'], message: `name "${entry.name}" is not the last segment of the path` });
  if (entry.kind === 'file' && entry.contentHash === null) ctx.addIssue({ code: 'custom', path: ['contentHash'], message: 'a file without a content hash' });
  if (entry.kind === 'folder' && (entry.contentHash !== null || entry.size !== 0)) {
    ctx.addIssue({ code: 'custom', path: ['size'], message: 'a folder with a size or a content hash' });
  }
});
export type Entry = z.infer<typeof entrySchema>;

export const pathQuery = z.object({ path: drivePath });
export const entryPathQuery = z.object({ path: entryPath });
export const listResponse = z.object({ entries: z.array(entrySchema) });
export const entryResponse = z.object({ entry: entrySchema });

export const mkdirRequest = z.object({ path: entryPath, mtime: z.number().int().optional() });
export const moveRequest = z.object({ from: entryPath, to: entryPath, ifRev });
export const deleteRequest = z.object({ path: entryPath, ifRev });

export const trashItemSchema = z.object({
  trashId: z.string(),
  entry: entrySchema,
  deletedAt: z.number().int(),
});
export const trashListResponse = z.object({ items: z.array(trashItemSchema) });
export const restoreRequest = z.object({ trashId: z.string().min(1), to: entryPath.optional() });

// ---------------------------------------------------------------- uploads

export const proofSchema = z.object({ id: z.string().min(1).max(64), value: hex64 });

export const createUploadRequest = z.object({
  path: entryPath,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  contentHash: hex64,
  blockHashes: z.array(hex64),
  mtime: z.number().int(),
  ifRev,
  proof: proofSchema.optional(),
});
export type CreateUploadRequest = z.infer<typeof createUploadRequest>;

/** Files up to this size are proven whole: a proof then needs every byte, so none can be guessed piecemeal. */
export const WHOLE_FILE_PROOF_BYTES = 4 * 1024 * 1024;
/** Larger files are proven by a random range of this many bytes. */
export const PROOF_RANGE_BYTES = 1024 * 1024;

export const challengeSchema = z.object({
  id: z.string(),
  offset: z.number().int().nonnegative(),
  /** At most WHOLE_FILE_PROOF_BYTES: a client need never read more to answer. */
  length: z.number().int().nonnegative().max(WHOLE_FILE_PROOF_BYTES),
  nonce: z.string(),
});

export const uploadStatusSchema = z.object({
  uploadId: z.string(),
  chunkSize: z.number().int().positive(),
  chunkCount: z.number().int().nonnegative(),
  received: z.array(z.number().int().nonnegative()),
});
export type UploadStatus = z.infer<typeof uploadStatusSchema>;

export const createUploadResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('done'), entry: entrySchema }),
  z.object({ status: z.literal('challenge'), challenge: challengeSchema }),
  uploadStatusSchema.extend({ status: z.literal('upload') }),
]);
export type CreateUploadResponse = z.infer<typeof createUploadResponse>;

export const uploadIdParams = z.object({ id: z.string().min(1).max(64) });
export const chunkParams = uploadIdParams.extend({ n: z.coerce.number().int().nonnegative() });

/** Small files committed inline, many per request, each answered on its own. */
export const MAX_BATCH_FILE_BYTES = 1024 * 1024;
export const MAX_BATCH_FILES = 1000;
/**
 * Largest `POST /uploads/batch` body. The client sends at most 8 MiB of
 * content per request (under 11 MiB as base64) plus paths; anything larger is
 * refused with 413 before it is read.
 */
export const MAX_BATCH_REQUEST_BYTES = 16 * 1024 * 1024;
/** What both batch formats say of each file besides its bytes. */
const batchFile = z.object({ path: entryPath, contentHash: hex64, mtime: z.number().int(), ifRev });
export const batchUploadRequest = z.object({
  files: z.array(batchFile.extend({
    contentBase64: z.string().max(Math.ceil(MAX_BATCH_FILE_BYTES / 3) * 4),
  })).min(1).max(MAX_BATCH_FILES),
});
/**
 * `POST /uploads/batch/binary`: the same batch without base64 or a JSON
 * string per file. The body (`application/octet-stream`, at most
 * MAX_BATCH_REQUEST_BYTES) is this manifest as one line of UTF-8 JSON (at
 * most BATCH_MANIFEST_MAX_BYTES), a line feed (0x0A), then every file's bytes
 * back to back in manifest order, `size` bytes each, and nothing after them.
 * The answer is the JSON batch's.
 */
export const BATCH_MANIFEST_MAX_BYTES = 1024 * 1024;
export const batchManifest = z.object({
  files: z.array(batchFile.extend({ size: z.number().int().nonnegative() })).min(1).max(MAX_BATCH_FILES),
});
export type BatchManifest = z.infer<typeof batchManifest>;
export const batchResultSchema = z.discriminatedUnion('status', [
  z.object({ path: receivedEntryPath, status: z.literal('done'), entry: entrySchema }),
  z.object({ path: receivedEntryPath, status: z.literal('error'), error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) }),
]);
export const batchUploadResponse = z.object({ results: z.array(batchResultSchema) });

// ---------------------------------------------------------------- changes

export const changeOp = z.enum(['create', 'update', 'move', 'delete']);
export const changeSchema = z.object({
  seq: z.number().int().positive(),
  op: changeOp,
  /** The entry's path after the change (for `delete`, the path it had); always `entry.path`. */
  path: receivedEntryPath,
  /** For `move`: where the entry was. A folder move moves its whole subtree. */
  fromPath: receivedEntryPath.optional(),
  entry: entrySchema,
}).superRefine((change, ctx) => {
  if (change.entry.path !== change.path) ctx.addIssue({ code: 'custom', path: ['entry', 'path'], message: 'the entry is not at the change\'s path' });
  if (change.op !== 'move') return;
  if (change.fromPath === undefined) ctx.addIssue({ code: 'custom', path: ['fromPath'], message: 'a move without fromPath' });
  else if (isSameOrBelow(change.path, change.fromPath) || isSameOrBelow(change.fromPath, change.path)) {
    ctx.addIssue({ code: 'custom', path: ['fromPath'], message: 'a move onto itself, into its own subtree or onto an ancestor' });
  }
});
export type Change = z.infer<typeof changeSchema>;

/** The longest long-poll `GET /changes?wait=` may ask for, in seconds. */
export const MAX_CHANGES_WAIT_SECONDS = 300;
export const changesQuery = z.object({
  cursor: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
  wait: z.coerce.number().int().min(0).max(MAX_CHANGES_WAIT_SECONDS).default(0),
});
export const changesResponse = z.object({
  changes: z.array(changeSchema),
  cursor: z.number().int().nonnegative(),
  hasMore: z.boolean(),
});

/** `changesResponse` as the client reads it: a change it refuses is set apart, the rest of the page still counts. */
export const checkedChangesResponse = changesResponse.extend({ changes: checkedItems(changeSchema) });
/** `listResponse` as the client reads it, entry by entry. */
export const checkedListResponse = z.object({ entries: checkedItems(entrySchema) });

/** The newest cursor: where a client that just listed the whole tree continues the feed from. */
export const latestCursorResponse = z.object({ cursor: z.number().int().nonnegative() });

export const healthResponse = z.object({ status: z.literal('ok'), version: z.string() });
