import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileVersionsSchema } from '../protocol/versions.js';
import { cli, signedInCli, type CliAccount } from './helpers/cliProcess.js';
import { download, uploadFile } from './helpers/uploads.js';

/** `netdisk-sync versions` and `restore` against the real service. Runs the compiled CLI: needs `npx tsc -b`. */
describe('netdisk-sync versions / restore', () => {
  let my: CliAccount;
  beforeAll(async () => { my = await signedInCli('netdisk-cli-versions-'); });
  afterAll(() => my?.close());
  const account = () => my.flags();
  const upload = (path: string, text: string) => uploadFile(my.server.api, my.user.auth, path, new TextEncoder().encode(text));
  const downloaded = async (path: string) => (await download(my.server.api, my.user.auth, path)).bytes.toString();

  it('lists time, size, device and version id; restores a version, which the service then serves', async () => {
    await upload('/notes.txt', 'first draft');
    await upload('/notes.txt', 'second draft, longer');

    const table = await cli(['versions', join(my.folder, 'notes.txt'), ...account()]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^time\s+size\s+device\s+version$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+20 B\s+test\s+[0-9a-f]{32} \(current\)$/);
    expect(lines[2]).toMatch(/^\S+ \S+\s+11 B\s+test\s+[0-9a-f]{32}$/);
    const firstId = lines[2]!.split(/\s+/).at(-1)!;

    const restored = await cli(['restore', '/notes.txt', '--version', firstId, '--json', ...account()]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ path: '/notes.txt', size: 11 });
    expect(await downloaded('/notes.txt')).toBe('first draft');

    const listed = await cli(['versions', '/notes.txt', '--json', ...account()]);
    const history = fileVersionsSchema.parse(JSON.parse(listed.stdout));
    expect(history.versions.map((v) => [v.current, v.size, v.device])).toEqual([
      [true, 11, `netdisk-sync on ${hostname()}`], [false, 20, 'test'], [false, 11, 'test'],
    ]);
  }, 60_000);

  it('refusals exit with their codes: usage 2, service refusals 4', async () => {
    await upload('/one.txt', 'one');
    const missing = await cli(['versions', '/missing.txt', ...account()]);
    expect([missing.code, missing.stderr]).toEqual([4, expect.stringContaining('not_found')]);
    const unknown = await cli(['restore', '/one.txt', '--version', '0'.repeat(32), ...account()]);
    expect([unknown.code, unknown.stderr]).toEqual([4, expect.stringContaining('version_not_found')]);
    const noVersion = await cli(['restore', '/one.txt', ...account()]);
    expect([noVersion.code, noVersion.stderr]).toEqual([2, expect.stringContaining('restore needs --version V')]);
    const badVersion = await cli(['restore', '/one.txt', '--version', '../x', ...account()]);
    expect([badVersion.code, badVersion.stderr]).toEqual([2, expect.stringContaining('--version takes a version id')]);
    const versionOnList = await cli(['versions', '/one.txt', '--version', '0'.repeat(32), ...account()]);
    expect(versionOnList.code).toBe(2);
    const help = await cli(['restore', '--help']);
    expect([help.code, help.stdout]).toEqual([0, expect.stringMatching(/^usage: netdisk-sync restore PATH --version V[\s\S]*--version V/)]);
  }, 120_000);
});
