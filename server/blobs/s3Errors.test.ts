import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { fromS3 } from './s3Errors.js';

/** An error shaped as the AWS SDK throws it: a name, and the HTTP status in $metadata. */
function sdkError(name: string, status?: number, code?: string): Error {
  return Object.assign(new Error(name), { name, ...(code ? { code } : {}), ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
}

describe('S3 failures as the service\'s stable errors', () => {
  it.each([
    [sdkError('NoSuchKey', 404), 'not_found', 404],
    [sdkError('NotFound', 404), 'not_found', 404],
    [sdkError('NoSuchUpload', 404), 'upload_expired', 410],
    [sdkError('SlowDown', 503), 'storage_unavailable', 503],
    [sdkError('InternalError', 500), 'storage_unavailable', 503],
    [sdkError('TimeoutError'), 'storage_unavailable', 503],
    [sdkError('Error', undefined, 'ECONNREFUSED'), 'storage_unavailable', 503],
    [sdkError('Error', undefined, 'ECONNRESET'), 'storage_unavailable', 503],
  ])('%s -> %s', (error, code, status) => {
    const mapped = fromS3(error, 'storing a chunk');
    expect(mapped).toBeInstanceOf(ApiError);
    expect(mapped).toMatchObject({ code, status });
    expect(mapped.message).toMatch(/^storing a chunk: /);
  });

  it('maps refused signatures and credentials to storage_access_denied, keeping the store\'s answer as the cause for the log', () => {
    for (const error of [sdkError('SignatureDoesNotMatch', 403), sdkError('InvalidAccessKeyId', 403), sdkError('AccessDenied', 403), sdkError('Forbidden', 403)]) {
      const mapped = fromS3(error, 'reading the content');
      expect(mapped).toBeInstanceOf(ApiError);
      expect(mapped).toMatchObject({ code: 'storage_access_denied', status: 503 });
      expect(mapped.message).toMatch(/^reading the content: the content storage refused the service's credentials \(\w+\)/);
      expect(mapped.cause).toBe(error);
    }
  });

  it('passes the service\'s own refusals through', () => {
    const refusal = new ApiError('chunk_hash_mismatch', 'chunk 2 does not match');
    expect(fromS3(refusal, 'storing a chunk')).toBe(refusal);
  });
});
