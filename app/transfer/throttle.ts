import { Transform } from 'node:stream';
import type { TokenBucket } from './tokenBucket.js';

/** Passes bytes on only as fast as the bucket allows; counts them as they pass. */
export function throttle(bucket: TokenBucket, onBytes: (n: number) => void, signal?: AbortSignal): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bucket.take(chunk.length, signal).then(() => {
        onBytes(chunk.length);
        callback(null, chunk);
      }, (error: unknown) => callback(error as Error));
    },
  });
}
