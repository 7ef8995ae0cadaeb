import { describe, expect, it } from 'vitest';
import type { BaseNode, LocalNode, RemoteNode } from '../model.js';
import { planSync } from './planner.js';
import { setAsideUnsyncable } from './unsyncable.js';

const remote = (path: string, kind: 'file' | 'folder' = 'file'): RemoteNode => ({
  path, kind, size: kind === 'file' ? 1 : 0, contentHash: kind === 'file' ? 'h' : null, mtime: 1, id: `id${path}`, rev: '1',
});
const base = (path: string): BaseNode => ({ ...remote(path), remoteId: `id${path}`, inode: `i${path}` });
const local = (path: string): LocalNode => ({ path, kind: 'file', size: 1, contentHash: 'h', mtime: 1, inode: `i${path}` });
const windowsReason = (path: string) => (/[?:]|\/CON(\/|$)/.test(path) ? 'a name Windows cannot hold' : null);

describe('setAsideUnsyncable', () => {
  it('sets aside the entries this computer cannot hold, with their descendants, and reports only the topmost', () => {
    const trees = {
      base: new Map([['/CON/old.txt', base('/CON/old.txt')]]),
      local: new Map([['/ok.txt', local('/ok.txt')]]),
      remote: new Map([
        ['/CON', remote('/CON', 'folder')], ['/CON/inside.txt', remote('/CON/inside.txt')], ['/CON/old.txt', remote('/CON/old.txt')],
        ['/what?.txt', remote('/what?.txt')], ['/fine.txt', remote('/fine.txt')], ['/ok.txt', remote('/ok.txt')],
      ]),
    };
    const { trees: kept, unsyncable } = setAsideUnsyncable(trees, windowsReason);
    expect(unsyncable).toEqual([{ path: '/CON', reason: 'a name Windows cannot hold' }, { path: '/what?.txt', reason: 'a name Windows cannot hold' }]);
    expect([...kept.remote.keys()].sort()).toEqual(['/fine.txt', '/ok.txt']);
    expect([...kept.base.keys()]).toEqual([]);
    // The planner then downloads what can be held and sends nothing back for the rest: no delete, no upload.
    const ops = planSync(kept, { host: 'h', now: 0 });
    expect(ops.map((op) => [op.type, 'path' in op ? op.path : op.from])).toEqual([['downloadFile', '/fine.txt'], ['updateBase', '/ok.txt']]);
    // Without setting aside, the base entry's absence on disk would read as a local delete to send to the service.
    expect(planSync(trees, { host: 'h', now: 0 }).some((op) => op.type === 'deleteRemote')).toBe(true);
  });

  it('hands the trees back untouched when everything can be held', () => {
    const trees = { base: new Map(), local: new Map(), remote: new Map([['/a', remote('/a')]]) };
    expect(setAsideUnsyncable(trees, () => null).trees).toBe(trees);
  });
});
