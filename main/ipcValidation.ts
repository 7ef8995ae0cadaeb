import { bridgeCommands, type BridgeCommandName, type BridgeErrorInfo } from '../protocol/bridge.js';
import { isAppUrl } from './windowSecurity.js';

/** What main knows about who sent an IPC message. */
export interface IpcSender {
  /** `event.sender.id`: the webContents that sent it. */
  webContentsId: number;
  /** `event.senderFrame.url`; null when the frame is gone. */
  frameUrl: string | null;
  /** Whether the sending frame is the top frame of its page. */
  isMainFrame: boolean;
}

/**
 * Only the app window's top frame, showing the app's own origin, may call the
 * bridge: not another window, not an iframe, not a page it was tricked into
 * navigating to.
 */
export function isTrustedSender(sender: IpcSender, appWebContentsId: number | null): boolean {
  return appWebContentsId !== null
    && sender.webContentsId === appWebContentsId
    && sender.isMainFrame
    && sender.frameUrl !== null
    && isAppUrl(sender.frameUrl);
}

export type ParsedCall =
  | { ok: true; command: BridgeCommandName; args: unknown }
  | { ok: false; error: BridgeErrorInfo };

/** Checks a call against protocol/bridge.ts before anything acts on it; returns the parsed (stripped) arguments. */
export function parseBridgeCall(command: unknown, args: unknown): ParsedCall {
  if (typeof command !== 'string' || !Object.hasOwn(bridgeCommands, command)) {
    return { ok: false, error: { code: 'unknown_command', message: `unknown command ${JSON.stringify(String(command)).slice(0, 80)}` } };
  }
  const name = command as BridgeCommandName;
  const parsed = bridgeCommands[name].args.safeParse(args);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(arguments)').join(', ');
    return { ok: false, error: { code: 'invalid_request', message: `invalid arguments for ${name}: ${fields}` } };
  }
  return { ok: true, command: name, args: parsed.data };
}
