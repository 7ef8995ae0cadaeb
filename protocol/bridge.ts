import { z } from 'zod';
import { drivePath, entryPath, sessionSchema, storageUsageSchema } from './api.js';
import { activitySchema, engineEventSchema, engineStateSchema, issueSchema, progressSchema, transferSchema } from './engine.js';
import { folderListingSchema } from './folders.js';
import { createShareRequest, shareIdSchema, shareSchema } from './shares.js';
import { fileVersionsSchema, restoreVersionRequest } from './versions.js';

/**
 * The UI contract: the one typed API the renderer gets, served by the Electron
 * main process (through the preload) and by `netdisk-sync --ui` (over a
 * WebSocket). Every command is a promise method whose argument and result have
 * a schema here; the serving side validates arguments before acting. Plain
 * data only: no token, credential or file descriptor ever crosses it.
 */

export const LANGUAGES = ['zh-CN', 'en'] as const;
export const languageSchema = z.enum(LANGUAGES);
export type Language = z.infer<typeof languageSchema>;

/** Bytes per second; 0 = no limit. */
const bandwidthLimit = z.number().int().nonnegative().max(10 * 1024 ** 3);

export const settingsSchema = z.object({
  /** The local folder kept in sync (absolute). */
  folder: z.string().min(1).max(4096),
  /** The netdisk service, e.g. http://127.0.0.1:8080. */
  server: z.url({ protocol: /^https?$/ }),
  uploadLimit: bandwidthLimit,
  downloadLimit: bandwidthLimit,
  /** Files transferred at once. */
  concurrency: z.number().int().min(1).max(64),
  /** The text of the folder's `.netdiskignore`. */
  ignoreRules: z.string().max(64 * 1024),
  startAtLogin: z.boolean(),
  /** null: follow the system's language. */
  language: languageSchema.nullable(),
});
export type Settings = z.infer<typeof settingsSchema>;

/**
 * A change to some settings; the others keep their values. `server: null`
 * picks this computer's built-in service, where the host has one.
 */
export const settingsPatchSchema = settingsSchema.partial().extend({ server: settingsSchema.shape.server.nullable().optional() }).strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const sessionInfoSchema = z.object({
  state: z.enum(['signed_in', 'signed_out']),
  /** The account's name, known after a sign-in (also from an earlier run). */
  username: z.string().nullable(),
  /** Why the session ended when the service ended it (e.g. the device was signed out elsewhere). */
  reason: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

/** A way to sign in besides the password: `qq`, or `oidc:<name>`. */
export const providerSchema = z.object({ id: z.string().min(1).max(64), label: z.string() });
export type Provider = z.infer<typeof providerSchema>;

/** Both versions of a file that changed on both sides: the service's keeps the name, the local one became a conflicted copy. */
export const conflictSchema = z.object({
  id: z.string(),
  at: z.number().int(),
  /** Drive path of the version that kept the name (the service's). */
  path: z.string(),
  /** Drive path of the conflicted copy (this device's version). */
  copyPath: z.string(),
});
export type Conflict = z.infer<typeof conflictSchema>;

export const massDeleteSchema = z.object({
  count: z.number().int(),
  side: z.enum(['local', 'remote']),
  total: z.number().int(),
});
export type MassDeleteHold = z.infer<typeof massDeleteSchema>;

/** What the host around the engine can do besides syncing. */
export const capabilitiesSchema = z.object({
  /** Whether `setSettings` may change `folder` and `server` (the host reopens the sync there). */
  changeLocation: z.boolean(),
  /** Whether the host can run the service on this computer (the desktop app's embedded one), chosen with `server: null`. */
  builtInService: z.boolean(),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

export const snapshotSchema = z.object({
  /** 'desktop' in the Electron app, 'web' through `netdisk-sync --ui`. */
  shell: z.enum(['desktop', 'web']),
  session: sessionInfoSchema,
  engine: z.object({ state: engineStateSchema, detail: z.string().optional() }),
  progress: progressSchema,
  transfers: z.array(transferSchema),
  activity: z.array(activitySchema),
  issues: z.array(issueSchema),
  conflicts: z.array(conflictSchema),
  massDelete: massDeleteSchema.nullable(),
  settings: settingsSchema,
  providers: z.array(providerSchema),
  capabilities: capabilitiesSchema,
  /** Whether `settings.server` is this computer's built-in service. */
  usesBuiltInService: z.boolean(),
  /** The account's storage as the service last reported it; absent until known (or from older services). */
  storage: storageUsageSchema.optional(),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

export const deviceSchema = sessionSchema;
export type Device = z.infer<typeof deviceSchema>;

const none = z.undefined();

/** Every command: its argument (`undefined` for none) and its result. */
export const bridgeCommands = {
  getSnapshot: { args: none, result: snapshotSchema },
  signInWithPassword: {
    args: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict(),
    result: sessionInfoSchema,
  },
  /** Starts a provider sign-in; the result is the page to open in a browser, the session event follows when it completes. */
  signInWithProvider: { args: z.object({ provider: z.string().min(1).max(64) }).strict(), result: z.object({ url: z.url() }) },
  signOut: { args: none, result: sessionInfoSchema },
  pause: { args: none, result: none },
  resume: { args: none, result: none },
  getSettings: { args: none, result: settingsSchema },
  /** Limits, ignore rules and language apply at once, concurrency at the next start; `folder` and `server` only where the host can reopen the client (`capabilities.changeLocation`; `not_supported` otherwise). */
  setSettings: { args: settingsPatchSchema, result: settingsSchema },
  listDevices: { args: none, result: z.array(deviceSchema) },
  signOutDevice: { args: z.object({ id: z.string().min(1).max(64) }).strict(), result: none },
  retryTransfer: { args: z.object({ id: z.string().min(1).max(256) }).strict(), result: none },
  confirmMassDelete: { args: none, result: none },
  /** Opens a drive path with the system's default app (desktop only). */
  openPath: { args: z.object({ path: z.string().min(1).max(4096) }).strict(), result: none },
  /** Resolves a conflict by keeping one version: 'original' drops the conflicted copy, 'copy' puts it back under the name. */
  keepConflictVersion: {
    args: z.object({ id: z.string().min(1).max(256), keep: z.enum(['original', 'copy']) }).strict(),
    result: none,
  },
  /** Share links of the signed-in account (the link and its code are meant to be shown and copied). */
  createShare: { args: createShareRequest.strict(), result: shareSchema },
  listShares: { args: none, result: z.array(shareSchema) },
  revokeShare: { args: z.object({ id: shareIdSchema }).strict(), result: shareSchema },
  /** Selective sync: the remote folders directly inside `path` (the root: the top level), their sizes and whether this computer keeps them. */
  listFolders: { args: z.object({ path: drivePath }).strict(), result: folderListingSchema },
  /** Keeps a remote folder here (downloaded by the next round) or lets it go (local edits are uploaded first; nothing is deleted on the service). */
  setFolderKept: { args: z.object({ path: entryPath, keep: z.boolean() }).strict(), result: none },
  /** Whether new top-level folders on the service are synced here. */
  setSyncNewFolders: { args: z.object({ sync: z.boolean() }).strict(), result: none },
  /** A file's version history at the service (drive path), newest first. */
  listVersions: { args: z.object({ path: entryPath }).strict(), result: fileVersionsSchema },
  /** Makes a version the file's content again (the sync then downloads it); answers the history as it now is. */
  restoreVersion: { args: restoreVersionRequest.strict(), result: fileVersionsSchema },
} as const satisfies Record<string, { args: z.ZodType; result: z.ZodType }>;

export type BridgeCommandName = keyof typeof bridgeCommands;
export const BRIDGE_COMMAND_NAMES = Object.keys(bridgeCommands) as BridgeCommandName[];

export type BridgeArgs<K extends BridgeCommandName> = z.input<(typeof bridgeCommands)[K]['args']>;
export type BridgeResult<K extends BridgeCommandName> = z.output<(typeof bridgeCommands)[K]['result']>;

export const bridgeEventSchema = z.union([
  engineEventSchema,
  z.object({ type: z.literal('session'), session: sessionInfoSchema }),
  z.object({ type: z.literal('settings'), settings: settingsSchema }),
  z.object({ type: z.literal('conflicts'), conflicts: z.array(conflictSchema) }),
  /** The mass-delete hold ended (confirmed or no longer needed). */
  z.object({ type: z.literal('massDeleteCleared') }),
  z.object({ type: z.literal('storage'), storage: storageUsageSchema }),
]);
export type BridgeEvent = z.infer<typeof bridgeEventSchema>;

/** What a failed command rejects with: a stable code, a sentence for people, and optionally the next step. */
export const bridgeErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
});
export type BridgeErrorInfo = z.infer<typeof bridgeErrorSchema>;

/** Codes the bridge itself adds to the engine's (app/errors.ts) and the service's (protocol/errors.ts). */
export const BRIDGE_ERROR_CODES = [
  'invalid_request', 'unknown_command', 'not_supported', 'not_signed_in', 'bridge_closed',
  /** A new sync folder that is (inside) a sync's state folder, or a file. */
  'folder_in_state_dir', 'folder_not_directory',
  /** Keeping a conflicted copy under a name inside a folder this computer does not keep (selective sync). */
  'folder_not_kept',
] as const;

type CommandMethod<K extends BridgeCommandName> = undefined extends BridgeArgs<K>
  ? () => Promise<BridgeResult<K>>
  : (args: BridgeArgs<K>) => Promise<BridgeResult<K>>;

/** The interface the renderer programs against, whatever carries it. */
export type BridgeApi = { [K in BridgeCommandName]: CommandMethod<K> } & {
  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: (event: BridgeEvent) => void): () => void;
};

// ------------------------------------------------------------ over a WebSocket

/** Path of the WebSocket endpoint served by `netdisk-sync --ui`. */
export const BRIDGE_SOCKET_PATH = '/bridge';

/** Page -> service. The first message must be `hello` with the token printed at start. */
export const bridgeClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), token: z.string().min(1).max(256) }),
  z.object({ type: z.literal('call'), id: z.number().int().nonnegative(), command: z.string().max(64), args: z.unknown().optional() }),
]);
export type BridgeClientMessage = z.infer<typeof bridgeClientMessageSchema>;

/** Service -> page. */
export const bridgeServerMessageSchema = z.union([
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown().optional() }),
  z.object({ type: z.literal('result'), id: z.number().int(), ok: z.literal(false), error: bridgeErrorSchema }),
  z.object({ type: z.literal('event'), event: z.unknown() }),
]);
export type BridgeServerMessage = z.infer<typeof bridgeServerMessageSchema>;

/** WebSocket close code when the token or origin is wrong (4000-4999 are the application's). */
export const BRIDGE_CLOSE_UNAUTHORIZED = 4401;
