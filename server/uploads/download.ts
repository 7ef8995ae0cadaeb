import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { entryPathQuery, type Entry } from '../../protocol/api.js';
import type { BlobStore, DirectReads } from '../blobs/blobStore.js';
import type { ServerContext } from '../context.js';
import { ApiError } from '../errors.js';
import { BYTE_STREAM, defineRoute } from '../http/routes.js';
import { etagMatches, parseRange } from './byteRange.js';

/**
 * `GET /files/content` (and HEAD): a file's bytes, whole or one byte range,
 * with the content hash as a strong ETag so a resumed download can tell
 * whether the file changed under it.
 *
 * With `direct` (NETDISK_S3_PRESIGN=1) a GET that would send bytes answers
 * 302 to a short-lived presigned URL of the object instead, after the
 * service has checked access, 304 and the range: the bytes then flow from
 * the store to the client without passing through the service. The client
 * sends only its Range there (never the bearer token) and keeps this
 * answer's ETag, since the store's own ETag is not the content hash.
 */
export function registerDownloadRoute(app: FastifyInstance, ctx: ServerContext, blobs: BlobStore, direct?: DirectReads): void {
  // HEAD is declared before GET: fastify's automatic HEAD would read the whole file and drop it.
  for (const method of ['HEAD', 'GET'] as const) {
    defineRoute(app, ctx, {
      method,
      url: '/files/content',
      summary: method === 'GET' ? 'Download a file; one byte range with Range, 304 with If-None-Match' : 'A download\'s headers without its body',
      auth: true,
      query: entryPathQuery,
      // HEAD answers the same headers without the bytes; a GET may redirect to the content store (NETDISK_S3_PRESIGN).
      responses: method === 'GET' ? { 200: BYTE_STREAM, 206: BYTE_STREAM, 302: null, 304: null } : { 200: null, 206: null, 304: null },
    }, async ({ userId, query, request, reply }) => {
      const entry = await ctx.files.getEntry(userId, query.path);
      if (!entry) throw new ApiError('not_found', `${query.path} does not exist`);
      if (entry.kind !== 'file' || entry.contentHash === null) throw new ApiError('not_a_file', `${query.path} is a folder`);
      return sendFileBytes(entry, request, reply, blobs, direct);
    });
  }
}

/**
 * Answers with a file entry's bytes: whole, one `Range` (206), or 304 on a
 * matching `If-None-Match`; `If-Range` with another ETag gets the whole file.
 * Shared by the owner's download and share links; with `direct`, a GET that
 * would send bytes is redirected to the store instead (see above).
 */
export async function sendFileBytes(
  entry: Entry, request: FastifyRequest, reply: FastifyReply, blobs: BlobStore, direct?: DirectReads,
): Promise<unknown> {
  if (entry.contentHash === null) throw new ApiError('not_a_file', `${entry.path} is a folder`);
  const etag = `"${entry.contentHash}"`;
  reply.header('etag', etag).header('accept-ranges', 'bytes');
  if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();

  const ifRange = request.headers['if-range']?.toString();
  const wanted = ifRange === undefined || etagMatches(ifRange, etag)
    ? parseRange(request.headers.range, entry.size)
    : { kind: 'whole' as const };
  if (wanted.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${entry.size}`);
    throw new ApiError('range_not_satisfiable', `the file has ${entry.size} bytes`, { size: entry.size });
  }
  const range = wanted.kind === 'partial' ? wanted.range : undefined;
  const length = range ? range.end - range.start + 1 : entry.size;
  if (direct && request.method === 'GET' && length > 0) {
    return reply.code(302).header('cache-control', 'no-store').header('location', await direct.directReadUrl(entry.contentHash)).send();
  }
  reply.code(range ? 206 : 200).header('content-type', 'application/octet-stream').header('content-length', length);
  if (range) reply.header('content-range', `bytes ${range.start}-${range.end}/${entry.size}`);
  if (request.method === 'HEAD' || length === 0) return reply.send();
  return blobs.read(entry.contentHash, range);
}
