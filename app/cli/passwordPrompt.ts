import { createInterface } from 'node:readline/promises';
import { UsageError } from './args.js';

/** Asks on the terminal without echoing; refuses when there is no terminal to ask on. */
export async function askPassword(username: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(`no password for ${username}: set NETDISK_PASSWORD or pass --password`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void };
  const original = output._writeToOutput.bind(rl);
  // Echo the prompt, not the typed characters.
  output._writeToOutput = (s: string) => {
    if (s.startsWith('Password')) original(s);
  };
  try {
    return await rl.question(`Password for ${username}: `);
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
