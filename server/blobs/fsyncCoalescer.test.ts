import { describe, expect, it } from 'vitest';
import { FsyncCoalescer } from './fsyncCoalescer.js';

/** An fsync the test finishes by hand, to see who waits for which one. */
function manualFsyncs() {
  const started: { dir: string; finish: (error?: Error) => void }[] = [];
  const fsyncDir = (dir: string) => new Promise<void>((resolve, reject) => {
    started.push({ dir, finish: (error) => (error ? reject(error) : resolve()) });
  });
  return { started, fsyncDir };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  promise.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

describe('FsyncCoalescer', () => {
  it('starts one fsync at once, and gives every caller who came while it ran one shared later fsync', async () => {
    const { started, fsyncDir } = manualFsyncs();
    const syncer = new FsyncCoalescer(fsyncDir);
    const first = syncer.sync('/a');
    const second = syncer.sync('/a');
    const third = syncer.sync('/a');
    const other = syncer.sync('/b');
    expect(started.map((s) => s.dir)).toEqual(['/a', '/b']);
    started[0]!.finish();
    await first;
    // The second and third came after the first fsync began: it may not cover their changes.
    expect(await settled(second)).toBe(false);
    expect(started.map((s) => s.dir)).toEqual(['/a', '/b', '/a']);
    started[2]!.finish();
    await Promise.all([second, third]);
    started[1]!.finish();
    await other;
    // Nothing running any more: the next caller starts a fresh fsync at once.
    const later = syncer.sync('/a');
    expect(started).toHaveLength(4);
    started[3]!.finish();
    await later;
  });

  it('passes an fsync failure to those who waited for that fsync, and still runs the queued one', async () => {
    const { started, fsyncDir } = manualFsyncs();
    const syncer = new FsyncCoalescer(fsyncDir);
    const first = syncer.sync('/a');
    const second = syncer.sync('/a');
    started[0]!.finish(new Error('EIO'));
    await expect(first).rejects.toThrow('EIO');
    expect(await settled(second)).toBe(false);
    expect(started).toHaveLength(2);
    started[1]!.finish();
    await expect(second).resolves.toBeUndefined();
  });
});
