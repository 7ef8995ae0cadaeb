import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Entry } from '../../protocol/api.js';
import type { BlobStore } from '../blobs/blobStore.js';
import { ApiError } from '../errors.js';
import { sendFileBytes } from '../uploads/download.js';
import type { FileStore } from '../files/fileStore.js';
import type { OpenShare, ShareService } from './shareService.js';
import { zipSize, zipStream, type ZipMember } from './zipStream.js';

/**
 * Most entries one folder's zip may hold. ZIP64 lifts the format's own
 * limits (65,535 entries, 4 GiB); this bound is the service's: the listing
 * and the central directory stay in memory while a recipient (no account)
 * downloads, so one zip must not hold an unbounded share of it.
 */
export const MAX_ZIP_MEMBERS = 200_000;

/** `attachment` with the name in RFC 6266 / 5987 form, so non-ASCII names (中文) survive. */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Every entry below `folder` as zip members named from the folder's own name down, parents first. */
async function zipMembers(files: FileStore, blobs: BlobStore, userId: string, folder: Entry): Promise<ZipMember[]> {
  const members: ZipMember[] = [];
  const walk = async (current: Entry, prefix: string): Promise<void> => {
    members.push({ name: `${prefix}/`, mtime: current.mtime });
    for (const child of await files.list(userId, current.path)) {
      if (members.length > MAX_ZIP_MEMBERS) return;
      const name = `${prefix}/${child.name}`;
      const contentHash = child.contentHash;
      if (child.kind === 'folder') await walk(child, name);
      else if (contentHash !== null) {
        members.push({ name, mtime: child.mtime, file: { size: child.size, read: async () => blobs.read(contentHash) as Promise<AsyncIterable<Uint8Array>> } });
      }
    }
  };
  await walk(folder, folder.name);
  return members;
}

/**
 * A recipient's download of `entry` inside an open share: a file's bytes
 * (Range honoured) or a folder as a streamed zip. Each GET counts one
 * download against the link's limit (a resumed download counts again: the
 * limit can then not be dodged by asking for the bytes in pieces).
 */
export async function sendSharedEntry(
  deps: { service: ShareService; files: FileStore; blobs: BlobStore },
  open: OpenShare, entry: Entry, request: FastifyRequest, reply: FastifyReply,
): Promise<unknown> {
  if (entry.kind === 'file') {
    if (request.method === 'GET') await deps.service.countDownload(open);
    reply.header('content-disposition', attachment(entry.name));
    return sendFileBytes(entry, request, reply, deps.blobs);
  }
  const members = await zipMembers(deps.files, deps.blobs, open.share.userId, entry);
  if (members.length > MAX_ZIP_MEMBERS) {
    throw new ApiError('payload_too_large', `this folder holds more than ${MAX_ZIP_MEMBERS} entries, too many for one zip: download its folders one by one`);
  }
  reply.header('content-type', 'application/zip').header('content-length', zipSize(members)).header('content-disposition', attachment(`${entry.name}.zip`));
  if (request.method === 'HEAD') return reply.send();
  await deps.service.countDownload(open);
  return reply.send(Readable.from(zipStream(members)));
}
