/**
 * A watching client in its own fresh process (the folder was synced by
 * another one), so its peak RSS is the watching client's, as after a restart:
 * `node watchChild.js <server> <folder> <stateDir>` (spawned with an IPC
 * channel) resumes the stored sign-in and runs `engine.run()`. It sends
 * `watching` after run()'s first round (a full walk) and `rss` whenever asked
 * `rss`. `snapshot <file>` writes a V8 heap snapshot; `stop` ends it.
 */
import { readFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { FileCredentialStore } from '../../app/auth/fileCredentialStore.js';
import { preferSmallHeap } from '../../app/base/heapPolicy.js';
import { SyncClient } from '../../app/syncClient.js';

export type WatchChildMessage =
  | { type: 'watching' }
  | { type: 'rss'; peakRssMiB: number; rssMiB: number; heapUsedMiB: number }
  | { type: 'snapshot'; file: string };

const [server, folder, stateDir] = process.argv.slice(2);
// As the CLI and the desktop app run the engine (bin/netdisk-sync.js, main/main.ts).
preferSmallHeap();
if (!server || !folder || !stateDir) throw new Error('usage: watchChild <server> <folder> <stateDir>');

function send(message: WatchChildMessage): void {
  process.send?.(message);
}

/** VmHWM: the peak resident set since the process started. */
function peakRssMiB(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

const client = await SyncClient.open({ server, folder, stateDir, warn: () => {}, credentials: new FileCredentialStore(stateDir) });
if (!(await client.resume())) throw new Error('no stored sign-in to resume');
let first = true;
client.engine.on((event) => {
  if (first && event.type === 'state' && event.state === 'idle') {
    first = false;
    send({ type: 'watching' });
  }
});
const running = client.engine.run();
await new Promise<void>((resolve) => {
  process.on('message', (line: string) => {
    const [command, argument] = line.split(' ');
    if (command === 'rss') {
      const usage = process.memoryUsage();
      send({ type: 'rss', peakRssMiB: peakRssMiB(), rssMiB: usage.rss / 1048576, heapUsedMiB: usage.heapUsed / 1048576 });
    } else if (command === 'snapshot' && argument) {
      send({ type: 'snapshot', file: writeHeapSnapshot(argument) });
    } else if (command === 'stop') {
      resolve();
    }
  });
});
await client.engine.stop();
await running;
await client.close();
process.disconnect();
