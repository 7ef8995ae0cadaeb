import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/**
 * Where the desktop app syncs: which folder, and with which service (null =
 * the embedded local service). Kept in the app's user-data folder because the
 * engine's own settings live inside the sync folder, which this names.
 */
export const desktopConfigSchema = z.object({
  folder: z.string().min(1),
  server: z.url({ protocol: /^https?$/ }).nullable(),
});
export type DesktopConfig = z.infer<typeof desktopConfigSchema>;

export const DESKTOP_CONFIG_FILE = 'desktop.json';

/** First run: the embedded service and ~/Netdisk. */
export function defaultDesktopConfig(home: string = homedir()): DesktopConfig {
  return { folder: join(home, 'Netdisk'), server: null };
}

/** The saved config, or the defaults when there is none or it is damaged (the person chooses again). */
export function readDesktopConfig(file: string, home?: string): DesktopConfig {
  try {
    const parsed = desktopConfigSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // Missing or unreadable: first run.
  }
  return defaultDesktopConfig(home);
}

/** Atomic (temp file + rename), owner-only. */
export function writeDesktopConfig(file: string, config: DesktopConfig): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(desktopConfigSchema.parse(config), null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
