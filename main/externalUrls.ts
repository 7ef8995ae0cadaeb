/**
 * `shell.openExternal` hands a URL to the OS, which may launch any handler, so
 * only http(s) URLs this app built itself (the sign-in page of a provider) go
 * out, and each one once. Anything the page asks to open is refused.
 */
export class ExternalUrlGate {
  private readonly allowed = new Set<string>();

  /** Records a URL the app built; returns false (and records nothing) for a non-http(s) URL. */
  allow(url: string): boolean {
    const normalized = normalizeHttpUrl(url);
    if (normalized === null) return false;
    this.allowed.add(normalized);
    return true;
  }

  /** True once for each allowed URL: the caller may open it now. */
  take(url: string): boolean {
    const normalized = normalizeHttpUrl(url);
    return normalized !== null && this.allowed.delete(normalized);
  }
}

function normalizeHttpUrl(url: string): string | null {
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
