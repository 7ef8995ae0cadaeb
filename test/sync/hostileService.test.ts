import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineIssue } from '../../protocol/engine.js';
import { FileCredentialStore } from '../../app/auth/fileCredentialStore.js';
import { main } from '../../app/cli/main.js';
import { printablePath } from '../../app/remote/refusedEntry.js';
import { SyncClient } from '../../app/syncClient.js';
import { HostileService, fileEntry, folderEntry } from '../helpers/hostileService.js';
import { FOLDER, localTree, type TreeSnapshot } from '../helpers/syncDevices.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The client against a deliberately hostile service: every path it sends is
 * untrusted input. Whatever the feed or a listing says, nothing outside the
 * sync folder changes, the ordinary files in the same answers still sync,
 * and each refused entry is told as an issue naming it. The whole suite runs
 * under the POSIX rules of this machine and again with Windows' name and
 * path rules injected, so Linux CI covers both.
 */
describe.each([
  { rules: 'linux' as const },
  { rules: 'win32' as const },
])('a hostile service, with $rules path rules', ({ rules }) => {
  const windows = rules === 'win32';
  let service: HostileService;
  let tmp: string;
  let folder: string;
  let client: SyncClient;
  let issues: EngineIssue[];
  let before: TreeSnapshot;
  let previousXdg: string | undefined;

  beforeAll(() => {
    previousXdg = process.env.XDG_DATA_HOME;
  });
  afterAll(() => {
    if (previousXdg === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = previousXdg;
  });

  beforeEach(async () => {
    service = await HostileService.start();
    tmp = await mkdtemp(join(tmpdir(), 'netdisk-hostile-'));
    folder = join(tmp, 'outer', 'folder');
    const stateDir = join(tmp, 'state');
    await mkdir(folder, { recursive: true });
    // What a write beside or above the folder would change.
    await writeFile(join(tmp, 'outer', 'sibling.txt'), 'beside the folder');
    await writeFile(join(tmp, 'above.txt'), 'above the folder');
    // Local deletes go to the freedesktop trash: keep it in the test's own folder.
    process.env.XDG_DATA_HOME = join(tmp, 'xdg');
    await openClient(stateDir);
    await client.login('victim', 'password');
    before = await outside();
  });

  /** A client on the folder with `rules` injected, its issues collected in `issues`. */
  async function openClient(stateDir: string): Promise<void> {
    client = await SyncClient.open({
      server: service.url,
      folder,
      stateDir,
      warn: () => {},
      credentials: new FileCredentialStore(stateDir),
      engine: { host: 'hostile-test', platform: rules, maxRounds: 10 },
    });
    issues = [];
    client.engine.on((event) => { if (event.type === 'issue') issues.push(event.issue); });
  }

  /**
   * Sixteen nested folders of 250-byte names (all syncable) and a file below
   * them whose drive path (4090 bytes) the drive accepts but which, under the
   * folder, is longer than any file system here takes. Returns the file's path.
   */
  function pushTooLongPath(): { deep: string; tooLong: string } {
    let deep = '';
    for (let level = 0; level < 16; level++) {
      deep += `/${'d'.repeat(250)}`;
      service.create(folderEntry(deep));
    }
    const tooLong = `${deep}/${'f'.repeat(4090 - deep.length - 1)}`;
    service.create(fileEntry(tooLong, bytes('far')), bytes('far'));
    return { deep, tooLong };
  }

  afterEach(async () => {
    await client.close();
    await service.close();
    await rm(tmp, { recursive: true, force: true });
  });

  /** Everything in the test's temporary folder except the sync folder, the state and the trash. */
  async function outside(): Promise<TreeSnapshot> {
    const tree = await localTree(tmp);
    return Object.fromEntries(Object.entries(tree).filter(([path]) =>
      !path.startsWith('/outer/folder/') && !/^\/(state|xdg)(\/|$)/.test(path)));
  }

  const refused = (path: unknown) => ({ code: 'invalid_remote_path', path: printablePath(path) });
  const unsyncable = (path: string) => ({ code: 'invalid_name', path });
  const told = () => issues.map(({ code, path }) => ({ code, path })).sort(byPath);

  it('refuses hostile feed entries and moves, syncs the rest, and changes nothing outside the folder', async () => {
    // Ordinary entries the hostile ones hide among.
    service.create(folderEntry('/docs'));
    service.create(fileEntry('/docs/ok.txt', bytes('ok')), bytes('ok'));
    service.create(fileEntry('/readme.md', bytes('readme')), bytes('readme'));
    service.create(folderEntry('/docs/sub'));
    service.create(fileEntry('/docs/sub/deep.txt', bytes('deep')), bytes('deep'));
    // An mtime no disk can store is only a hint not taken.
    service.create(fileEntry('/future.txt', bytes('future'), { mtime: Number.MAX_SAFE_INTEGER }), bytes('future'));

    // Paths the protocol forbids: refused by the schema.
    const longName = `/${'n'.repeat(300)}`;
    const hostilePaths = ['/..', '/../escape.txt', '/docs/../../escape2.txt', '//x', 'relative.txt', '/nul\u0000.txt', '/', longName, '/docs/./dot.txt'];
    for (const path of hostilePaths) {
      service.push({ op: 'create', path, entry: fileEntry(path, bytes('evil'), { name: 'escape.txt' }) });
      service.contents.set(path, bytes('evil'));
    }
    // A folder `..` with a child, the issue's first reproduction.
    service.push({ op: 'create', path: '/..', entry: folderEntry('/..', { name: '..' }) });
    service.push({ op: 'create', path: '/../child.txt', entry: fileEntry('/../child.txt', bytes('evil')) });
    // Entries that lie about themselves.
    service.push({ op: 'create', path: '/named.txt', entry: fileEntry('/named.txt', bytes('x'), { name: '../named.txt' }) });
    service.push({ op: 'create', path: '/elsewhere.txt', entry: fileEntry('/../elsewhere.txt', bytes('x')) });
    service.push({ op: 'create', path: '/huge.bin', entry: fileEntry('/huge.bin', bytes('x'), { size: 2 ** 60 }) });
    service.push({ op: 'create', path: '/hashless.bin', entry: fileEntry('/hashless.bin', bytes('x'), { contentHash: null }) });
    service.push({ op: 'create', path: '/folder-with-size', entry: folderEntry('/folder-with-size', { size: 12 }) });
    service.push({ op: 'explode', path: '/readme.md', entry: fileEntry('/readme.md', bytes('x')) });
    // Hostile moves: from outside in, from inside out, into its own subtree.
    service.push({ op: 'move', fromPath: '/../outer/sibling.txt', path: '/pulled-in.txt', entry: fileEntry('/pulled-in.txt', bytes('x')) });
    service.push({ op: 'move', fromPath: '/readme.md', path: '/../moved-out.md', entry: fileEntry('/../moved-out.md', bytes('readme')) });
    service.push({ op: 'move', fromPath: '/docs', path: '/docs/sub/docs', entry: folderEntry('/docs/sub/docs') });
    service.push({ op: 'move', path: '/no-origin.txt', entry: fileEntry('/no-origin.txt', bytes('x')) });
    service.push({ op: 'delete', path: '/..', entry: folderEntry('/..', { name: '..' }) });
    // Entries whose parent is missing or a file, and an id that belongs to another entry.
    service.create(fileEntry('/missing/child.txt', bytes('x')), bytes('x'));
    service.create(fileEntry('/readme.md/child.txt', bytes('x')), bytes('x'));
    service.create(fileEntry('/dup.txt', bytes('x'), { id: 'id-dup' }), bytes('x'));
    service.create(fileEntry('/dup2.txt', bytes('x'), { id: 'id-dup' }), bytes('x'));

    // Valid drive paths this computer may be unable to hold.
    const backslash = '/a\\..\\..\\evil.txt';
    service.create(fileEntry(backslash, bytes('backslash')), bytes('backslash'));
    service.create(folderEntry('/CON'));
    service.create(fileEntry('/CON/inside.txt', bytes('inside')), bytes('inside'));
    service.create(fileEntry('/docs/what?.txt', bytes('what')), bytes('what'));
    service.create(fileEntry('/trailing. ', bytes('trailing')), bytes('trailing'));
    const loneSurrogate = '/lone\ud800.txt';
    service.create(fileEntry(loneSurrogate, bytes('lone')), bytes('lone'));
    // A path the drive accepts but no file system here takes once under the folder.
    const { deep, tooLong } = pushTooLongPath();

    const summary = await client.engine.syncOnce();

    expect(await outside()).toEqual(before);
    expect(summary).toMatchObject({ converged: true, failures: [] });
    const tree = await localTree(folder);
    expect(tree).toMatchObject({
      '/docs': FOLDER,
      '/docs/ok.txt': sha('ok'),
      '/readme.md': sha('readme'),
      '/docs/sub': FOLDER,
      '/docs/sub/deep.txt': sha('deep'),
      '/dup.txt': sha('x'),
      '/future.txt': sha('future'),
    });
    const posixOnly = { [backslash]: sha('backslash'), '/CON': FOLDER, '/CON/inside.txt': sha('inside'), '/docs/what?.txt': sha('what'), '/trailing. ': sha('trailing') };
    for (const [path, content] of Object.entries(posixOnly)) expect(tree[path]).toBe(windows ? undefined : content);
    expect(tree[loneSurrogate]).toBeUndefined();
    expect(tree[tooLong]).toBeUndefined();
    expect(Object.keys(tree).filter((path) => path.startsWith(deep))).toEqual([deep]);
    expect(Object.keys(tree).filter((path) => /evil|escape|elsewhere|pulled|moved-out|child/.test(path) && path !== backslash)).toEqual([]);

    expect(told()).toEqual([
      ...[...new Set(hostilePaths), '/../child.txt', '/named.txt', '/elsewhere.txt', '/huge.bin', '/hashless.bin', '/folder-with-size',
        '/pulled-in.txt', '/../moved-out.md', '/docs/sub/docs', '/no-origin.txt', '/missing/child.txt', '/readme.md/child.txt', '/dup2.txt',
        loneSurrogate,
      ].map(refused),
      // `explode` is no op of the contract; the entry it names stays as it was.
      refused('/readme.md'),
      unsyncable(tooLong),
      ...(windows ? [backslash, '/CON', '/docs/what?.txt', '/trailing. '].map(unsyncable) : []),
    ].sort(byPath));
    // Each issue says why, in words the user can act on.
    expect(issues.find((issue) => issue.path === '/..')?.message).toMatch(/^the service sent a path this client refuses: \/\.\. \(.*"\." or "\.\."/);
    expect(issues.find((issue) => issue.path === '/missing/child.txt')?.message).toContain('parent folder /missing');
    expect(issues.find((issue) => issue.path === tooLong)?.message).toContain('can\'t be synced to this computer');
    // Nothing refused or set aside was sent back to the service: no deletes, moves or uploads at all.
    expect(service.mutations()).toEqual([]);
    expect(service.requests.filter((r) => r.route === '/files/content').map((r) => r.query.path)).not.toContain('/../escape.txt');
  });

  it('still tells what is set aside after a restart that finds nothing to do', async () => {
    service.create(fileEntry('/ok.txt', bytes('ok')), bytes('ok'));
    const { tooLong } = pushTooLongPath();
    expect(await client.engine.syncOnce()).toMatchObject({ converged: true, failures: [] });
    expect(told()).toEqual([unsyncable(tooLong)]);

    await client.close();
    await openClient(client.stateDir);
    expect(await client.resume()).toBe(true);
    expect(await client.engine.syncOnce()).toMatchObject({ converged: true, rounds: 1 });
    expect(told()).toEqual([unsyncable(tooLong)]);
  });

  it('refuses hostile moves and deletes of synced entries later in the feed, and keeps syncing', async () => {
    service.create(folderEntry('/docs'));
    const ok = fileEntry('/docs/ok.txt', bytes('ok'));
    service.create(ok, bytes('ok'));
    const readme = fileEntry('/readme.md', bytes('readme'));
    service.create(readme, bytes('readme'));
    expect(await client.engine.syncOnce()).toMatchObject({ converged: true, failures: [] });
    before = await outside();

    service.push({ op: 'move', fromPath: '/docs/ok.txt', path: '/../stolen.txt', entry: { ...ok, path: '/../stolen.txt', name: 'stolen.txt' } });
    service.push({ op: 'move', fromPath: '/docs', path: '//docs', entry: folderEntry('//docs', { name: 'docs' }) });
    service.push({ op: 'delete', path: '/../sibling.txt', entry: fileEntry('/../sibling.txt', bytes('x')) });
    service.push({ op: 'delete', path: '/', entry: folderEntry('/', { name: '' }) });
    // A rename to a name only POSIX can hold: with Windows rules the old local copy goes (to the trash), the new name is set aside.
    const renamed = '/docs/readme\\..\\..\\..\\pwned.md';
    service.push({ op: 'move', fromPath: '/readme.md', path: renamed, entry: { ...readme, path: renamed, name: 'readme\\..\\..\\..\\pwned.md', rev: 'r2' } });
    service.create(fileEntry('/docs/later.txt', bytes('later')), bytes('later'));

    const summary = await client.engine.syncOnce();

    expect(await outside()).toEqual(before);
    expect(summary).toMatchObject({ converged: true, failures: [] });
    const tree = await localTree(folder);
    expect(tree['/docs/ok.txt']).toBe(sha('ok'));
    expect(tree['/docs/later.txt']).toBe(sha('later'));
    expect(tree['/readme.md']).toBeUndefined();
    expect(tree[renamed]).toBe(windows ? undefined : sha('readme'));
    expect(told()).toEqual([
      ...['/../stolen.txt', '//docs', '/../sibling.txt', '/'].map(refused),
      ...(windows ? [unsyncable(renamed)] : []),
    ].sort(byPath));
    expect(service.mutations()).toEqual([]);
  });

  it('refuses hostile entries of a full listing (after an expired cursor) and lists the rest', async () => {
    service.expireFirstCursor = true;
    service.create(fileEntry('/from-feed.txt', bytes('feed')), bytes('feed'));
    const docs = folderEntry('/docs');
    const readme = fileEntry('/readme.md', bytes('readme'));
    service.contents.set('/readme.md', bytes('readme'));
    service.contents.set('/docs/ok.txt', bytes('ok'));
    service.listings.set('/', [
      docs,
      readme,
      folderEntry('/..', { name: '..' }),
      fileEntry('/docs/not-here.txt', bytes('x')),
      fileEntry('/same-id.txt', bytes('x'), { id: readme.id }),
      { path: '/no-fields' },
      ...(windows ? [] : [fileEntry('/what?.txt', bytes('what'))]),
    ]);
    service.listings.set('/docs', [fileEntry('/docs/ok.txt', bytes('ok')), fileEntry('/outside.txt', bytes('x')), folderEntry('/')]);
    service.listings.set('/..', [fileEntry('/../escape.txt', bytes('evil'))]);
    if (!windows) service.contents.set('/what?.txt', bytes('what'));

    const summary = await client.engine.syncOnce();

    expect(await outside()).toEqual(before);
    expect(summary).toMatchObject({ converged: true, failures: [] });
    expect(await localTree(folder)).toEqual({
      '/docs': FOLDER,
      '/docs/ok.txt': sha('ok'),
      '/readme.md': sha('readme'),
      ...(windows ? {} : { '/what?.txt': sha('what') }),
    });
    expect(told()).toEqual(['/..', '/docs/not-here.txt', '/same-id.txt', '/no-fields', '/outside.txt', '/'].map(refused).sort(byPath));
    expect(service.requests.filter((r) => r.route === '/files').map((r) => r.query.path).sort()).toEqual(['/', '/docs']);
    expect(service.mutations()).toEqual([]);
  });
});

function byPath(a: { code: string; path?: string }, b: { code: string; path?: string }): number {
  const key = (x: { code: string; path?: string }) => `${x.path ?? ''}\u0000${x.code}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

describe('netdisk-sync --once against a hostile service', () => {
  it('prints each refusal as an issue line, syncs the ordinary files, exits in sync and writes nothing beside the folder', async () => {
    const service = await HostileService.start();
    const tmp = await mkdtemp(join(tmpdir(), 'netdisk-hostile-cli-'));
    const folder = join(tmp, 'outer', 'folder');
    await mkdir(folder, { recursive: true });
    await writeFile(join(tmp, 'outer', 'sibling.txt'), 'beside the folder');
    service.create(fileEntry('/ok.txt', bytes('ok')), bytes('ok'));
    service.push({ op: 'create', path: '/../escape.txt', entry: fileEntry('/../escape.txt', bytes('evil')) });
    service.create(fileEntry('/orphan/child.txt', bytes('x')), bytes('x'));
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await main(['--server', service.url, '--folder', folder, '--state', join(tmp, 'state'), '--once', '--json', '--username', 'victim', '--password', 'pw']);
    } finally {
      write.mockRestore();
      await service.close();
    }
    try {
      const events = printed.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; issue?: EngineIssue; message?: string });
      expect(code).toBe(0);
      expect(events.filter((event) => event.type === 'issue').map((event) => [event.issue!.code, event.issue!.path])).toEqual([
        ['invalid_remote_path', '/../escape.txt'],
        ['invalid_remote_path', '/orphan/child.txt'],
      ]);
      expect(events.at(-1)).toMatchObject({ type: 'message', message: 'in sync' });
      expect(await localTree(join(tmp, 'outer'))).toEqual({ '/folder': FOLDER, '/folder/ok.txt': sha('ok'), '/sibling.txt': sha('beside the folder') });
      expect(service.mutations()).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
