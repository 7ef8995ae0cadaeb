import type { ServerContext } from './context.js';

/**
 * Runs `task` every `intervalMs` until the app closes; closing waits for a
 * run in progress, so none outlives the database. The timer never keeps the
 * process alive. A run's result is logged at debug level, a failure as an
 * error; the next run comes all the same.
 */
export function runPeriodically(
  ctx: Pick<ServerContext, 'log' | 'onClose'>, what: string, intervalMs: number, task: () => Promise<object | void>,
): void {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = task().then(
      (result) => ctx.log.debug(result ?? {}, what),
      (error: unknown) => ctx.log.error({ err: error }, `${what} failed`),
    );
  }, intervalMs);
  timer.unref();
  ctx.onClose(async () => {
    clearInterval(timer);
    await running;
  });
}
