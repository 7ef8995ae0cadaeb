/**
 * Command-line flags of `netdisk-server` and `netdisk-sync` as one table per
 * command: node:util `parseArgs` reads the table as its `options` (it ignores
 * the extra keys), and `--help` is printed from the same table, so a flag
 * added to a parser shows up in the usage text without a second list to keep.
 */
export interface CliFlag {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  /** Names a string flag's value in the usage text, e.g. `URL` or `DIR`. */
  value?: string;
  /** What --help says; further lines (after `\n`) are indented under the first. */
  description: string;
}

export type CliFlags = Readonly<Record<string, CliFlag>>;

/** `--help` / `-h`, in every command's table. */
export const HELP_FLAG = {
  help: { type: 'boolean', short: 'h', default: false, description: 'print this help and exit' },
} as const satisfies CliFlags;

/**
 * True when `--help` or `-h` comes before a `--` terminator. Checked before the
 * strict parse, so a command line that is otherwise wrong or incomplete still
 * gets its usage instead of an error.
 */
export function helpRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** The flag list of a usage text: `  -h, --name VALUE   description`, aligned in two columns. */
export function describeFlags(flags: CliFlags): string {
  const rows = Object.entries(flags).map(([name, flag]) => {
    const short = flag.short ? `-${flag.short}, ` : '';
    const value = flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : '';
    return { left: `${short}--${name}${value}`, lines: flag.description.split('\n') };
  });
  const width = Math.max(...rows.map((row) => row.left.length)) + 2;
  return rows
    .flatMap(({ left, lines }) => lines.map((line, index) => `  ${(index === 0 ? left : '').padEnd(width)}${line}`))
    .join('\n');
}
