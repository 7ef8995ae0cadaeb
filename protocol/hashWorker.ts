/**
 * The message contract between the engine (app/hash) and the hashing worker
 * (native-workers/hashWorker): app may reach the worker only by file path, so
 * the shape both sides agree on lives here.
 */

/** A byte range of one file, [start, end); `start` is a multiple of BLOCK_SIZE. */
export interface HashRangeTask {
  path: string;
  start: number;
  end: number;
}

export interface HashRangeResult {
  /** Hex SHA-256 of each 4 MiB block in the range, in order. */
  blockHashes: string[];
  /** Bytes actually read: less than `end - start` means the file shrank meanwhile. */
  bytesRead: number;
}
