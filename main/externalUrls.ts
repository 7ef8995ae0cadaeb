/**
 * `shell.openExternal` hands a URL to the OS, which may launch any handler for
 * its scheme, so only plain http(s) URLs go out (the provider sign-in page the
 * engine built); anything else is refused. The page itself can open nothing:
 * the window's open handler denies every request.
 */
export function externalUrlToOpen(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (parsed.username !== '' || parsed.password !== '') return null;
  return parsed.href;
}
