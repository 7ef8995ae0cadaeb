import { ApiError } from '../errors.js';
import type { ByteSource } from './blobStore.js';

/**
 * The pieces of `source`, insisting on exactly `length` bytes. A body
 * running past `length` is refused as soon as it does, without reading on:
 * the iterator is left alone rather than returned, because returning
 * destroys an HTTP request's socket before the refusal can be sent.
 */
export async function* exactBytes(source: ByteSource, length: number): AsyncGenerator<Uint8Array, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let seen = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    seen += next.value.length;
    if (seen > length) {
      throw new ApiError('chunk_length_mismatch', `the chunk must be ${length} bytes; more were sent`, { expected: length });
    }
    yield next.value;
  }
  if (seen !== length) {
    throw new ApiError('chunk_length_mismatch', `the chunk must be ${length} bytes; ${seen} were sent`, { expected: length, received: seen });
  }
}

/** Hands each piece of `source` to `onPiece`, insisting on exactly `length` bytes (see exactBytes). */
export async function consumeExactly(
  source: ByteSource,
  length: number,
  onPiece: (piece: Uint8Array) => void | Promise<void>,
): Promise<void> {
  for await (const piece of exactBytes(source, length)) await onPiece(piece);
}
