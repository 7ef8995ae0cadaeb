import { isSqliteStorageFailure, syncErrorFromFs } from '../fsErrors.js';

/**
 * Wraps every method of `target` so that a full or failing disk under the
 * database leaves as a SyncError (`disk_full`, `io_error`) naming `file`,
 * instead of a bare SqliteError: the engine, the queue, the CLI and the UI
 * then branch on the code like for any other disk. SQLite has rolled the
 * statement or transaction back by then, so the file stays intact. Other
 * errors (bugs, constraint violations) pass unchanged.
 */
export function withStorageFailures<T extends object>(target: T, file: string): T {
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        } catch (error) {
          throw isSqliteStorageFailure(error) ? syncErrorFromFs(error, file) : error;
        }
      };
    },
  });
}
