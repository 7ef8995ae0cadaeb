import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { settingsSchema } from '../../protocol/bridge.js';

/** The settings kept in the state folder; folder, server and ignore rules live where they act. */
export const storedSettingsSchema = settingsSchema.pick({
  uploadLimit: true,
  downloadLimit: true,
  concurrency: true,
  startAtLogin: true,
  language: true,
});
export type StoredSettings = z.infer<typeof storedSettingsSchema>;

export const DEFAULT_STORED_SETTINGS: StoredSettings = {
  uploadLimit: 0,
  downloadLimit: 0,
  concurrency: 4,
  startAtLogin: false,
  language: null,
};

const FILE_NAME = 'settings.json';

/**
 * Reads `<stateDir>/settings.json`. A JSON file, not the SQLite state, because
 * the CLI needs some values (concurrency, limits) before it opens the client.
 * A missing file gives the defaults; a damaged or partly invalid one keeps
 * every value that still validates.
 */
export function readStoredSettings(stateDir: string): StoredSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(stateDir, FILE_NAME), 'utf8'));
  } catch {
    return { ...DEFAULT_STORED_SETTINGS };
  }
  const settings: Record<string, unknown> = { ...DEFAULT_STORED_SETTINGS };
  if (raw !== null && typeof raw === 'object') {
    for (const [key, schema] of Object.entries(storedSettingsSchema.shape)) {
      const parsed = schema.safeParse((raw as Record<string, unknown>)[key]);
      if (parsed.success) settings[key] = parsed.data;
    }
  }
  return settings as StoredSettings;
}

/** Writes atomically (temp file + rename), owner-only. */
export function writeStoredSettings(stateDir: string, settings: StoredSettings): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, FILE_NAME);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(storedSettingsSchema.parse(settings), null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
