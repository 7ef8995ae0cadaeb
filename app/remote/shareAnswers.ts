import type { CreateShareRequest, Share } from '../../protocol/shares.js';
import { printablePath } from './refusedEntry.js';
import { malformedAnswer } from './remoteErrors.js';

/**
 * What a hostile or broken service could get wrong about a link it just
 * made, each a promise to the person sharing: the entry, an extraction code
 * (asked for, or generated when none was chosen; a link made without one
 * would open for anyone), the download limit and whether it expires.
 */
function createdShareProblems(share: Share, request: CreateShareRequest): string[] {
  const problems: string[] = [];
  if (share.path !== request.path.normalize('NFC')) problems.push(`it shares ${share.path === null ? 'a deleted entry' : printablePath(share.path)}`);
  if (share.state !== 'active') problems.push(`it is ${share.state}`);
  if (request.code === null ? share.code !== null : share.code === null) problems.push(request.code === null ? 'it has an extraction code' : 'it has no extraction code');
  else if (typeof request.code === 'string' && share.code?.toLowerCase() !== request.code.toLowerCase()) problems.push('its extraction code is not the one chosen');
  if (share.maxDownloads !== (request.maxDownloads ?? null)) problems.push(`its download limit is ${share.maxDownloads ?? 'none'}`);
  if ((share.expiresAt === null) !== ((request.expiresInSeconds ?? null) === null)) problems.push(share.expiresAt === null ? 'it never expires' : 'it expires');
  return problems;
}

/** The link the service made, if it is the one asked for; otherwise a malformed answer (nothing is shown or copied). */
export function checkCreatedShare(share: Share, request: CreateShareRequest): Share {
  const problems = createdShareProblems(share, request);
  if (problems.length > 0) throw malformedAnswer(200, `the share link made for ${request.path} is not the one asked for: ${problems.join('; ')}`);
  return share;
}

/** The revoked link, if it is the one asked about and now revoked. */
export function checkRevokedShare(share: Share, id: string): Share {
  if (share.id !== id || share.state !== 'revoked') {
    throw malformedAnswer(200, `asked to revoke share link ${id}, the service answered with link ${share.id}, ${share.state}`);
  }
  return share;
}
