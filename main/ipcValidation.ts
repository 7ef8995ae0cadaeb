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
