import type { z } from 'zod';
import { authorizationCodeRequest, tokenPairResponse, type TokenPair, type User } from '../../protocol/api.js';
import type { Clock } from '../clock.js';
import { isSyncError, SyncError } from '../errors.js';
import type { ApiClient } from '../remote/apiClient.js';
import { credentialAccount, type CredentialStore } from './credentialStore.js';

export type SessionState = 'signed_in' | 'signed_out';

export type SessionListener = (state: SessionState, reason: SyncError | null) => void;

export interface TokenSessionOptions {
  api: ApiClient;
  credentials: CredentialStore;
  clock?: Pick<Clock, 'now'>;
  /** Refresh at most this long before the access token expires (less for short-lived tokens). */
  refreshMarginMs?: number;
}

interface AccessToken {
  token: string;
  /** Clock time after which the token is refreshed before use. */
  refreshAt: number;
}

/** An access token the service refused: worth one refresh. */
function isRejectedToken(error: unknown): error is SyncError {
  return isSyncError(error) && error.detail.status === 401
    && (error.detail.serviceCode === 'token_expired' || error.detail.serviceCode === 'unauthorized');
}

/**
 * The signed-in state of one account on one service. The access token lives
 * in memory only; the refresh token lives in the `CredentialStore` and is
 * replaced on every rotation. Refreshes are single-flight: however many
 * requests find the token expired, one `POST /auth/refresh` is made. When the
 * service refuses the refresh token (revoked, reused, expired) the session
 * turns 'signed_out' and every request fails fast until the next `login`.
 * Tokens never appear in messages or errors.
 */
export class TokenSession {
  private readonly api: ApiClient;
  private readonly credentials: CredentialStore;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly refreshMarginMs: number;
  private readonly listeners = new Set<SessionListener>();
  private current: AccessToken | null = null;
  private refreshing: Promise<string> | null = null;
  private account: string | null = null;
  private signedInUser: User | null = null;
  private stateValue: SessionState = 'signed_out';

  constructor(options: TokenSessionOptions) {
    this.api = options.api;
    this.credentials = options.credentials;
    this.clock = options.clock ?? { now: Date.now };
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** The user of the last login or refresh; null before the first one. */
  get user(): User | null {
    return this.signedInUser;
  }

  /** Called on every state change; returns the unsubscribe function. */
  onStateChange(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Picks up a sign-in stored by an earlier run. False when there is none. */
  async resume(username: string): Promise<boolean> {
    const account = credentialAccount(this.api.serverUrl, username);
    if ((await this.credentials.get(account)) === null) return false;
    this.account = account;
    this.current = null;
    this.setState('signed_in', null);
    return true;
  }

  async login(username: string, password: string, deviceName?: string): Promise<User> {
    const pair = await this.api.call({
      method: 'POST',
      path: '/auth/login',
      json: { username, password, ...(deviceName ? { deviceName } : {}) },
    }, tokenPairResponse);
    return this.signedIn(pair);
  }

  /**
   * Finishes a sign-in through the browser: trades the one-time code the
   * loopback received, with its PKCE verifier, for a token pair.
   */
  async signInWithCode(grant: { code: string; codeVerifier: string; redirectUri: string; deviceName?: string }): Promise<User> {
    const pair = await this.api.call({
      method: 'POST',
      path: '/auth/token',
      json: {
        grant_type: 'authorization_code',
        code: grant.code,
        code_verifier: grant.codeVerifier,
        redirect_uri: grant.redirectUri,
        ...(grant.deviceName ? { deviceName: grant.deviceName } : {}),
      } satisfies z.input<typeof authorizationCodeRequest>,
    }, tokenPairResponse);
    return this.signedIn(pair);
  }

  /** Revokes the refresh token's family on the service, then forgets it here, even if the service was unreachable. */
  async logout(): Promise<void> {
    const account = this.account;
    if (account === null) return;
    try {
      const refreshToken = await this.credentials.get(account);
      if (refreshToken !== null) {
        await this.api.call({ method: 'POST', path: '/auth/logout', json: { refreshToken } }, null).catch((error: unknown) => {
          // Already revoked is as good as revoked now.
          if (!(isSyncError(error) && error.detail.status === 401)) throw error;
        });
      }
    } finally {
      await this.forget(account);
      this.setState('signed_out', null);
    }
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    this.assertSignedIn();
    if (this.current && this.clock.now() < this.current.refreshAt) return this.current.token;
    return this.refresh();
  }

  /**
   * Runs `call` with an access token; when the service refuses that token,
   * refreshes once and runs it again. A second refusal means the account
   * cannot be used: 'signed_out'.
   */
  async authorized<T>(call: (accessToken: string) => Promise<T>): Promise<T> {
    const token = await this.accessToken();
    try {
      return await call(token);
    } catch (error) {
      if (!isRejectedToken(error)) throw error;
      const fresh = await this.replaceRejected(token);
      try {
        return await call(fresh);
      } catch (retryError) {
        if (!isRejectedToken(retryError)) throw retryError;
        throw new SyncError('signed_out', 'the service refused a freshly refreshed access token', {
          status: 401,
          ...(retryError.detail.serviceCode ? { serviceCode: retryError.detail.serviceCode } : {}),
        });
      }
    }
  }

  private replaceRejected(rejected: string): Promise<string> {
    // Another caller may have refreshed since this token was handed out.
    if (this.current && this.current.token !== rejected) return this.accessToken();
    this.current = null;
    return this.refresh();
  }

  private refresh(): Promise<string> {
    this.refreshing ??= this.rotate().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async rotate(): Promise<string> {
    const account = this.assertSignedIn();
    const refreshToken = await this.credentials.get(account);
    if (refreshToken === null) throw await this.signOut(account, new SyncError('signed_out', 'no stored sign-in: sign in again'));
    let pair: TokenPair;
    try {
      pair = await this.api.call({ method: 'POST', path: '/auth/refresh', json: { refreshToken } }, tokenPairResponse);
    } catch (error) {
      if (isSyncError(error) && error.detail.status === 401) {
        throw await this.signOut(account, new SyncError('signed_out', `the sign-in is no longer valid: sign in again (${error.message})`, {
          status: 401,
          ...(error.detail.serviceCode ? { serviceCode: error.detail.serviceCode } : {}),
        }));
      }
      throw error;
    }
    // A logout or another sign-in may have happened while the refresh was in flight.
    if (this.account !== account || this.stateValue !== 'signed_in') {
      throw new SyncError('signed_out', 'signed out while the sign-in was being refreshed');
    }
    await this.adopt(account, pair);
    return pair.accessToken;
  }

  private async signedIn(pair: TokenPair): Promise<User> {
    const account = credentialAccount(this.api.serverUrl, pair.user.username);
    await this.adopt(account, pair);
    this.account = account;
    this.setState('signed_in', null);
    return pair.user;
  }

  /** Keeps the new pair: the access token in memory, the rotated refresh token in the store. */
  private async adopt(account: string, pair: TokenPair): Promise<void> {
    await this.credentials.set(account, pair.refreshToken);
    const lifetimeMs = pair.expiresIn * 1000;
    this.current = {
      token: pair.accessToken,
      refreshAt: this.clock.now() + lifetimeMs - Math.min(this.refreshMarginMs, lifetimeMs / 10),
    };
    this.signedInUser = pair.user;
  }

  private async signOut(account: string, reason: SyncError): Promise<SyncError> {
    await this.forget(account);
    this.setState('signed_out', reason);
    return reason;
  }

  private async forget(account: string): Promise<void> {
    this.current = null;
    await this.credentials.delete(account);
  }

  private assertSignedIn(): string {
    if (this.stateValue !== 'signed_in' || this.account === null) {
      throw new SyncError('signed_out', 'not signed in');
    }
    return this.account;
  }

  private setState(state: SessionState, reason: SyncError | null): void {
    const changed = state !== this.stateValue;
    this.stateValue = state;
    if (changed) for (const listener of this.listeners) listener(state, reason);
  }
}
