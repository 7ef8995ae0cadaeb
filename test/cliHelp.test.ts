import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_COMMANDS, ACCOUNT_FLAGS, SYNC_FLAGS } from '../app/cli/args.js';
import { FOLDERS_FLAGS } from '../app/cli/foldersArgs.js';
import type { CliFlags } from '../protocol/cliFlags.js';
import { SERVER_FLAGS } from '../server/config.js';

/** Runs a built binary (bin/*.js over dist/, as `npm run build` leaves it) to its end. */
function run(bin: 'netdisk-server' | 'netdisk-sync', args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [`bin/${bin}.js`, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The `--flag` names in the first column of the markdown tables of `markdown` between `from` and the next `## ` heading. */
function documentedFlags(markdown: string, from: string): string[] {
  const start = markdown.indexOf(from);
  expect(start, `"${from}" in the docs`).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf('\n## ', start + from.length);
  const section = markdown.slice(start, next === -1 ? undefined : next);
  const firstCells = section.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split('|')[1] ?? '');
  return [...new Set(firstCells.flatMap((cell) => [...cell.matchAll(/--[a-z][a-z-]*/g)].map((match) => match[0])))];
}

function expectEveryFlag(help: string, flags: CliFlags): void {
  for (const [name, flag] of Object.entries(flags)) {
    expect(help, `--${name}`).toMatch(new RegExp(`--${name}\\b`));
    if (flag.short) expect(help, `-${flag.short}`).toContain(`-${flag.short}, --${name}`);
  }
}

describe('--help of the built binaries', () => {
  const readme = readFileSync('README.md', 'utf8');
  const cliDoc = readFileSync('docs/cli.md', 'utf8');

  it.each([['--help'], ['-h'], ['--port', 'nope', '--help']])('netdisk-server %s prints every flag of the table it parses and exits 0', (...args) => {
    const { status, stdout, stderr } = run('netdisk-server', args);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^usage: netdisk-server/);
    expectEveryFlag(stdout, SERVER_FLAGS);
    // The README's configuration table promises no flag the binary does not know.
    const documented = documentedFlags(readme, '## Run the service alone');
    expect(documented).toContain('--port');
    for (const flag of documented) expect(stdout, flag).toContain(flag);
  });

  it.each([['--help'], ['-h'], ['--folder', 'only-this', '-h']])('netdisk-sync %s prints the sync flags and the commands, exits 0', (...args) => {
    const { status, stdout, stderr } = run('netdisk-sync', args);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^usage: netdisk-sync --server URL --folder DIR/);
    expectEveryFlag(stdout, SYNC_FLAGS);
    for (const command of [...Object.keys(ACCOUNT_COMMANDS), 'share', 'folders']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const documented = documentedFlags(cliDoc, '## Sync');
    expect(documented).toContain('--upload-limit');
    for (const flag of documented) expect(stdout, flag).toContain(flag);
  });

  it.each(Object.keys(ACCOUNT_COMMANDS).flatMap((command) => [[command, '--help'], [command, '-h']]))('netdisk-sync %s %s prints that command\'s usage and flags, exits 0', (command, flag) => {
    // No --server or --folder: help comes before the checks that would refuse the line.
    const { status, stdout, stderr } = run('netdisk-sync', [command!, flag!]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(new RegExp(`^usage: netdisk-sync ${command} `));
    expectEveryFlag(stdout, ACCOUNT_FLAGS);
    const documented = documentedFlags(cliDoc, '## Sign in');
    expect(documented).toContain('--provider');
    for (const documentedFlag of documented) expect(stdout, documentedFlag).toContain(documentedFlag);
  });

  it.each([['--help'], ['-h'], ['list', '--json', '-h']])('netdisk-sync folders %s prints its actions and flags, exits 0', (...args) => {
    const { status, stdout, stderr } = run('netdisk-sync', ['folders', ...args]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^usage: netdisk-sync folders /);
    for (const action of ['list [PATH]', 'exclude PATH', 'include PATH', 'new-folders yes|no']) expect(stdout).toContain(action);
    expectEveryFlag(stdout, FOLDERS_FLAGS);
    const documented = documentedFlags(cliDoc, '## Selective sync');
    expect(documented).toContain('--state');
    for (const flag of documented) expect(stdout, flag).toContain(flag);
  });

  it('a wrong flag still fails with exit code 2 and the usage on stderr', () => {
    const sync = run('netdisk-sync', ['--bogus']);
    expect(sync.status).toBe(2);
    expect(sync.stdout).toBe('');
    expect(sync.stderr).toContain("Unknown option '--bogus'");
    expect(sync.stderr).toContain('usage: netdisk-sync');
    const login = run('netdisk-sync', ['login', '--once']);
    expect(login.status).toBe(2);
    expect(login.stderr).toContain('usage: netdisk-sync login');
  });
});
