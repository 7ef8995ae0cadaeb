import { BATCH_MANIFEST_MAX_BYTES, batchManifest, MAX_BATCH_REQUEST_BYTES, type BatchManifest } from '../../protocol/api.js';
import { ApiError } from '../errors.js';
import { parse } from '../http/validate.js';

const LINE_FEED = 0x0a;

export interface BinaryBatch {
  manifest: BatchManifest;
  /** Each manifest file's bytes, in order. */
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
  const pieces = new Pieces();
  for await (const piece of body) {
    pieces.push(piece);
    if (pieces.length > MAX_BATCH_REQUEST_BYTES) throw tooLarge();
  }
  const end = pieces.indexOf(LINE_FEED, BATCH_MANIFEST_MAX_BYTES + 1);
  if (end < 0) throw new ApiError('invalid_request', `the body must start with a JSON manifest of at most ${BATCH_MANIFEST_MAX_BYTES} bytes and a line feed`);
  let json: unknown;
  try {
    json = JSON.parse(pieces.slice(0, end).toString('utf8'));
  } catch {
    throw new ApiError('invalid_request', 'the manifest is not JSON');
  }
  const manifest = parse(batchManifest, json);
  const total = manifest.files.reduce((sum, file) => sum + file.size, 0);
  if (end + 1 + total !== pieces.length) {
    throw new ApiError('invalid_request', `the manifest's sizes add up to ${total} bytes; ${pieces.length - end - 1} followed it`);
  }
  const contents: Buffer[] = [];
  let at = end + 1;
  for (const { size } of manifest.files) {
    contents.push(pieces.slice(at, at + size));
    at += size;
  }
  return { manifest, contents };
}

/**
 * A body as the socket delivered it (~64 KiB pieces), never joined into one
 * buffer: a fresh 8 MiB buffer per request cost more in page faults than the
 * copy itself (~40 ms here). A range inside one piece is a view of it; only
 * ranges across pieces are copied.
 */
class Pieces {
  length = 0;
  private readonly parts: Buffer[] = [];
  private readonly starts: number[] = [];

  push(piece: Uint8Array): void {
    this.parts.push(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
    this.starts.push(this.length);
    this.length += piece.length;
  }

  /** Where `byte` first occurs before `limit`, or -1. */
  indexOf(byte: number, limit: number): number {
    for (const [i, part] of this.parts.entries()) {
      const start = this.starts[i]!;
      if (start >= limit) break;
      const found = part.subarray(0, limit - start).indexOf(byte);
      if (found >= 0) return start + found;
    }
    return -1;
  }

  /** Bytes [from, to), which the caller keeps within the body. */
  slice(from: number, to: number): Buffer {
    let i = this.partAt(from);
    const first = this.parts[i]!;
    const offset = from - this.starts[i]!;
    if (offset + (to - from) <= first.length) return first.subarray(offset, offset + (to - from));
    const out = Buffer.allocUnsafe(to - from);
    let filled = first.copy(out, 0, offset);
    while (filled < out.length) filled += this.parts[++i]!.copy(out, filled, 0, out.length - filled);
    return out;
  }

  /** The index of the part holding byte `at` (binary search over the starts). */
  private partAt(at: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle]! <= at) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

function tooLarge(): ApiError {
  return new ApiError('payload_too_large', `the body may be at most ${MAX_BATCH_REQUEST_BYTES} bytes`);
}
