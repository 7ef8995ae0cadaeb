/** S3's limits on multipart uploads: every part but the last at least 5 MiB, at most 5 GiB, at most 10,000 parts. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
export const S3_MAX_PART_BYTES = 5 * 1024 ** 3;
export const S3_MAX_PARTS = 10_000;
