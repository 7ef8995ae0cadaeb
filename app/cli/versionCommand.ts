import { formatBytes } from '../../protocol/units.js';
import type { FileVersion } from '../../protocol/versions.js';
import type { RemoteVersions } from '../remote/remoteVersions.js';
import { withSignedInRemote, type CommandIo } from './signedInRemote.js';
import type { VersionArgs } from './versionArgs.js';

const HEADER = ['time', 'size', 'device', 'version'];

/** One row per version, in aligned columns; the current content is marked. */
export function versionTable(versions: readonly FileVersion[]): string {
  const rows = versions.map((v) => [
    new Date(v.writtenAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    formatBytes(v.size),
    v.device ?? '(unknown)',
    v.current ? `${v.versionId} (current)` : v.versionId,
  ]);
  const widths = HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [HEADER, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

async function act(remote: RemoteVersions, args: VersionArgs, io: CommandIo): Promise<void> {
  const print = (text: string, value: unknown) => io.out.write(args.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
  if (args.command === 'versions') {
    const history = await remote.listVersions(args.path);
    print(versionTable(history.versions), history);
    return;
  }
  const node = await remote.restoreVersion({ path: args.path, versionId: args.versionId! });
  print(`restored ${node.path} to version ${args.versionId} (${formatBytes(node.size)}); syncing downloads it`, node);
}

/** `netdisk-sync versions` and `restore`: a file's version history. Failures leave as errors for the caller to map. */
export function runVersionCommand(args: VersionArgs, io: CommandIo): Promise<number> {
  return withSignedInRemote(args, io, (remote) => act(remote, args, io));
}
