import { describe, expect, it } from 'vitest';
import { describeFlags, HELP_FLAG, helpRequested } from './cliFlags.js';

describe('command-line flag tables', () => {
  it('finds --help and -h anywhere before a -- terminator', () => {
    expect(helpRequested(['--help'])).toBe(true);
    expect(helpRequested(['--port', '1', '-h'])).toBe(true);
    expect(helpRequested(['--port', '1'])).toBe(false);
    expect(helpRequested(['--', '--help'])).toBe(false);
    expect(helpRequested(['--helpful'])).toBe(false);
  });

  it('lists each flag with its value name, short form and description, in aligned columns', () => {
    const text = describeFlags({
      data: { type: 'string', value: 'DIR', description: 'where data lives\nand a second line' },
      once: { type: 'boolean', description: 'run once' },
      ...HELP_FLAG,
    });
    expect(text.split('\n')).toEqual([
      '  --data DIR  where data lives',
      '              and a second line',
      '  --once      run once',
      '  -h, --help  print this help and exit',
    ]);
  });
});
