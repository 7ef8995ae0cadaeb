import { expect, test } from 'vitest';
import { ConcurrencyGate } from './concurrencyGate.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

test('never runs more than the limit at once, and runs waiters in arrival order', async () => {
  const gate = new ConcurrencyGate(2);
  const releases = [deferred(), deferred(), deferred(), deferred()];
  const started: number[] = [];
  let running = 0;
  let peak = 0;
  const runs = releases.map((release, i) => gate.run(async () => {
    started.push(i);
    running++;
    peak = Math.max(peak, running);
    await release.promise;
    running--;
    return i;
  }));
  await Promise.resolve();
  expect(started).toEqual([0, 1]);
  releases[1]!.resolve();
  await runs[1];
  await Promise.resolve();
  expect(started).toEqual([0, 1, 2]);
  releases.forEach((r) => r.resolve());
  expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
  expect(started).toEqual([0, 1, 2, 3]);
  expect(peak).toBe(2);
});

test('a failing task frees its slot', async () => {
  const gate = new ConcurrencyGate(1);
  await expect(gate.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
  expect(await gate.run(async () => 'next')).toBe('next');
});

test('refuses a limit below one', () => {
  expect(() => new ConcurrencyGate(0)).toThrow(RangeError);
});
