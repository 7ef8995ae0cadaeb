import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_PREFIX, type User } from '../../protocol/api.js';
import { SyncError } from '../errors.js';
import { loopbackPage, pageLanguage, type PageOutcome } from './loopbackPage.js';

/** How long the user has to finish in the browser (RFC 8252 leaves it to the client). */
export const SIGN_IN_TIMEOUT_MS = 5 * 60_000;

const CALLBACK_PATH = '/callback';

/** What the service's `POST /auth/token` needs besides the grant type. */
export interface AuthorizationCodeGrant {
  code: string;
  codeVerifier: string;
  /** Exactly the loopback URI given to authorize. */
  redirectUri: string;
}

export interface BrowserSignInOptions {
  /** The service's base URL, e.g. http://127.0.0.1:8080 (without /api/v1). */
  serverUrl: string;
  /** `qq` or `oidc:<name>`. */
  provider: string;
  /**
   * Shows the authorize URL to the user in the system browser (never an
   * embedded view): Electron's shell.openExternal, or the CLI's printer/opener.
   */
  openBrowser: (url: string) => Promise<void>;
  /** Trades the code for a signed-in session (TokenSession.signInWithCode); its failure is shown in the tab. */
  exchange: (grant: AuthorizationCodeGrant) => Promise<User>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** RFC 7636 S256: a 256-bit random verifier, and the base64url SHA-256 of it as the challenge. */
export function newPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(serverUrl: string, provider: string, params: { redirectUri: string; state: string; challenge: string }): string {
  const query = new URLSearchParams({
    redirect_uri: params.redirectUri,
    state: params.state,
    code_challenge: params.challenge,
    code_challenge_method: 'S256',
  });
  return `${serverUrl.replace(/\/+$/, '')}${API_PREFIX}/auth/oauth/${encodeURIComponent(provider)}/authorize?${query.toString()}`;
}

/** A listener on 127.0.0.1 at a port the OS picks, and the redirect URI that reaches its callback path. */
export async function listenOnLoopback(): Promise<{ server: Server; redirectUri: string }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // 127.0.0.1, not localhost: the name may resolve elsewhere, and the service accepts only the literal.
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, redirectUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}${CALLBACK_PATH}` };
}

function send(response: ServerResponse, status: number, request: IncomingMessage, outcome: PageOutcome): Promise<void> {
  const body = loopbackPage(pageLanguage(request.headers['accept-language']), outcome);
  return new Promise((resolve) => {
    response.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
    response.end(body, () => resolve());
  });
}

/** The reason shown for an `error` redirect, e.g. "access_denied: the user cancelled the sign-in". */
function refusal(params: URLSearchParams): SyncError {
  const error = params.get('error') ?? 'invalid_request';
  const description = params.get('error_description');
  return new SyncError('sign_in_failed', `the sign-in was refused: ${error}${description ? `: ${description}` : ''}`, { serviceCode: error });
}

/**
 * Signs in through the system browser (RFC 8252 loopback redirect with
 * RFC 7636 PKCE): listens on 127.0.0.1 on a port the OS picks, opens the
 * service's authorize URL, and takes exactly one callback carrying this
 * attempt's random `state`; a callback with another state is refused and the
 * wait goes on, so a forged or stale link cannot end the sign-in in progress.
 * The code is exchanged while the tab waits, so the tab shows the real
 * outcome. The listener closes on success, on a refusal, on timeout and on
 * abort. The verifier and the code never leave this process except to the
 * service.
 */
export async function signInThroughBrowser(options: BrowserSignInOptions): Promise<User> {
  if (options.signal?.aborted) throw new SyncError('aborted', 'the sign-in was cancelled');
  const pkce = newPkce();
  const state = randomBytes(16).toString('base64url');
  const { server, redirectUri } = await listenOnLoopback();

  return new Promise<User>((resolve, reject) => {
    let accepted = false;
    let done = false;
    const finish = (outcome: { user: User } | { error: unknown }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      server.close();
      // Browsers keep spare connections open; they must not hold the port.
      server.closeAllConnections();
      if ('user' in outcome) resolve(outcome.user);
      else reject(outcome.error);
    };
    const onAbort = () => finish({ error: new SyncError('aborted', 'the sign-in was cancelled') });
    const timeoutMs = options.timeoutMs ?? SIGN_IN_TIMEOUT_MS;
    const timer = setTimeout(() => finish({
      error: new SyncError('sign_in_timeout', `the sign-in was not finished in the browser within ${Math.round(timeoutMs / 1000)} s`),
    }), timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const accept = async (request: IncomingMessage, response: ServerResponse, params: URLSearchParams) => {
      accepted = true;
      // The user is back: the wait is over, and the exchange has its own network timeouts.
      // Timing out now could leave a session signed in that the caller was told failed.
      clearTimeout(timer);
      const code = params.get('code');
      if (params.get('error') !== null || !code) {
        const error = refusal(params);
        await send(response, 400, request, { kind: 'failed', reason: error.message });
        return finish({ error });
      }
      try {
        const user = await options.exchange({ code, codeVerifier: pkce.verifier, redirectUri });
        await send(response, 200, request, { kind: 'signed_in', name: user.displayName || user.username });
        finish({ user });
      } catch (error) {
        await send(response, 400, request, { kind: 'failed', reason: error instanceof Error ? error.message : String(error) });
        finish({ error });
      }
    };

    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? '/', redirectUri);
      if (request.method !== 'GET' || url.pathname !== CALLBACK_PATH) return void send(response, 404, request, { kind: 'not_found' });
      if (accepted) return void send(response, 409, request, { kind: 'already_used' });
      if (url.searchParams.get('state') !== state) return void send(response, 400, request, { kind: 'wrong_state' });
      void accept(request, response, url.searchParams);
    });

    options.openBrowser(authorizeUrl(options.serverUrl, options.provider, { redirectUri, state, challenge: pkce.challenge }))
      .catch((error: unknown) => finish({ error }));
  });
}
