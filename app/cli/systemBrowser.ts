import { spawn } from 'node:child_process';

/** The platform's "open this address" command; null when no graphical session could show a browser. */
export function browserCommand(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: string[] } | null {
  if (platform === 'darwin') return { command: 'open', args: [] };
  // Not `cmd /c start`: cmd would treat the & in the query string as a command separator.
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler'] };
  return env.DISPLAY || env.WAYLAND_DISPLAY ? { command: 'xdg-open', args: [] } : null;
}

/**
 * The CLI's way to show the sign-in page: always print the address (a
 * headless machine or a browser on another screen needs it), and start the
 * system browser when there is one and `launch` allows it. A browser that
 * fails to start is reported, not fatal: the printed address still works.
 */
export function openInSystemBrowser(url: string, options: { launch: boolean; say: (message: string) => void }): Promise<void> {
  options.say(`to sign in, open this address in a browser:\n\n  ${url}\n`);
  const opener = options.launch ? browserCommand(process.platform, process.env) : null;
  if (opener) {
    const child = spawn(opener.command, [...opener.args, url], { detached: true, stdio: 'ignore' });
    child.on('error', (error) => options.say(`could not start a browser (${error.message}); open the address above yourself`));
    child.unref();
  }
  return Promise.resolve();
}
