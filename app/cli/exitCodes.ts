/** Exit codes scripts can rely on (docs/cli.md). */
export const EXIT = { ok: 0, incomplete: 1, usage: 2, signedOut: 3, fatal: 4, disk: 5 } as const;
