import { setFlagsFromString } from 'node:v8';

/**
 * How much V8 lets the heap grow past what survived the last full
 * collection before it collects again: 20 % instead of V8's own choice, up
 * to 300 % while garbage is made fast and collected quickly (its speed-first
 * default for a machine with much memory).
 *
 * Why: a sync client lives beside the user's other programs for days, and
 * what it holds is small next to what it churns through. Heap snapshots of a
 * 100,000-file initial sync held 40-130 MiB of live objects while the
 * process stood at 540-670 MiB: the rest was garbage V8 saw no reason to
 * collect yet (listings, feed pages, rows read and dropped). With 20 % the
 * same sync peaked at 319-326 MiB for ~25 % more CPU time in its process
 * (bench/README.md, "Issue 10, third pass").
 * This is a growth factor, not a limit: a folder whose live state needs
 * more gets more, later and in smaller steps.
 */
const HEAP_GROWING_PERCENT = 20;

/**
 * Applies the policy above to this process (every isolate in it). Called
 * first thing by each process that runs a sync engine: the CLI, the
 * desktop app's main process (Electron starts V8 with
 * --no-freeze-flags-after-init, so flags can still be set), the benchmarks'
 * sync processes.
 */
export function preferSmallHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
