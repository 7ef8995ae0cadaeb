/**
 * Logic written once for both databases: an operation is a generator that
 * yields every table call's result. SQLite's tables answer synchronously and
 * `runSync` feeds the values straight back (the operation stays inside one
 * synchronous better-sqlite3 transaction); PostgreSQL's answer with promises
 * and `runAsync` awaits each one.
 */
export type Maybe<T> = T | Promise<T>;
export type Steps<T> = Generator<unknown, T, unknown>;

/** Hands a table call's result to the driver and gets it back (awaited when it was a promise). */
export function* ask<T>(value: Maybe<T>): Steps<T> {
  // The drivers send back exactly what was yielded (awaited): a T.
  return (yield value) as T;
}

/** Runs the steps where every table answers synchronously (SQLite). */
export function runSync<T>(steps: Steps<T>): T {
  let next = steps.next();
  while (!next.done) {
    if (next.value instanceof Promise) throw new Error('an asynchronous table call inside a synchronous transaction');
    next = steps.next(next.value);
  }
  return next.value;
}

/** Runs the steps, awaiting each table call (PostgreSQL). */
export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  let next = steps.next();
  while (!next.done) next = steps.next(await next.value);
  return next.value;
}
