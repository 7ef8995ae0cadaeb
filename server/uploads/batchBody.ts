import { BATCH_MANIFEST_MAX_BYTES, batchManifest, MAX_BATCH_REQUEST_BYTES, type BatchManifest } from '../../protocol/api.js';
import { ApiError } from '../errors.js';
import { parse } from '../http/validate.js';

const LINE_FEED = 0x0a;

export interface BinaryBatch {
  manifest: BatchManifest;
  /** Each manifest file's bytes, in order: views into the one body buffer. */
  contents: Buffer[];
}

/**
 * Reads a `POST /uploads/batch/binary` body (protocol/api.ts, batchManifest):
 * refused with 413 as soon as it runs past MAX_BATCH_REQUEST_BYTES (declared
 * or counted), and with 400 `invalid_request` unless it is a valid manifest
 * line followed by exactly the bytes the manifest's sizes add up to.
 */
export async function readBinaryBatch(body: AsyncIterable<Uint8Array>, declaredLength: number | undefined): Promise<BinaryBatch> {
  if (declaredLength !== undefined && declaredLength > MAX_BATCH_REQUEST_BYTES) throw tooLarge();
  const pieces: Buffer[] = [];
  let length = 0;
  for await (const piece of body) {
    length += piece.length;
    if (length > MAX_BATCH_REQUEST_BYTES) throw tooLarge();
    pieces.push(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
  }
  const all = Buffer.concat(pieces, length);
  const end = all.subarray(0, BATCH_MANIFEST_MAX_BYTES + 1).indexOf(LINE_FEED);
  if (end < 0) throw new ApiError('invalid_request', `the body must start with a JSON manifest of at most ${BATCH_MANIFEST_MAX_BYTES} bytes and a line feed`);
  let json: unknown;
  try {
    json = JSON.parse(all.subarray(0, end).toString('utf8'));
  } catch {
    throw new ApiError('invalid_request', 'the manifest is not JSON');
  }
  const manifest = parse(batchManifest, json);
  const contents: Buffer[] = [];
  let at = end + 1;
  for (const { size } of manifest.files) {
    if (at + size > all.length) break;
    contents.push(all.subarray(at, at + size));
    at += size;
  }
  if (contents.length !== manifest.files.length || at !== all.length) {
    throw new ApiError('invalid_request', `the manifest's sizes add up to ${manifest.files.reduce((sum, f) => sum + f.size, 0)} bytes; ${all.length - end - 1} followed it`);
  }
  return { manifest, contents };
}

function tooLarge(): ApiError {
  return new ApiError('payload_too_large', `the body may be at most ${MAX_BATCH_REQUEST_BYTES} bytes`);
}
