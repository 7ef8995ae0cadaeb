import { ApiError } from '../errors.js';

// RFC 8252 §7.3 with the literal loopback addresses only: "localhost" may resolve
// elsewhere, and a host suffix ("127.0.0.1.evil.com") must not slip through, so the
// raw text is matched before URL parsing gets a chance to normalize it.
const LOOPBACK_REDIRECT = /^http:\/\/(?:127\.0\.0\.1|\[::1\]):(\d{1,5})(?:\/[^#\s]*)?$/;

/** Refuses anything but `http://127.0.0.1:<port>/...` or `http://[::1]:<port>/...`; returns the URI unchanged. */
export function checkLoopbackRedirect(uri: string): string {
  const match = LOOPBACK_REDIRECT.exec(uri);
  const port = match ? Number(match[1]) : 0;
  if (!match || port < 1 || port > 65535 || !URL.canParse(uri)) {
    throw new ApiError('invalid_request',
      'redirect_uri must be a loopback URL with a port: http://127.0.0.1:<port>/... or http://[::1]:<port>/...');
  }
  return uri;
}

/** The loopback URL with the given query parameters added (the client's own query is kept). */
export function loopbackUrl(redirectUri: string, params: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}
