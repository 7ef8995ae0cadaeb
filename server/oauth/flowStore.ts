import { ApiError } from '../errors.js';
import { hashSecret, newSecret, pkceMatches } from './secrets.js';

/** The user has this long to sign in at the provider. */
export const FLOW_TTL_MS = 10 * 60_000;
/** The client trades the one-time code right after the loopback receives it. */
export const CODE_TTL_MS = 60_000;
/** A used code is remembered this long past its expiry, so a late replay still revokes what it gave. */
export const USED_CODE_MEMORY_MS = 60 * 60_000;
export const LINK_TICKET_TTL_MS = 5 * 60_000;

export interface PendingFlow {
  provider: string;
  /** The client's loopback, where the browser goes back to. */
  redirectUri: string;
  clientState: string;
  codeChallenge: string;
  nonce: string;
  /** Our own PKCE verifier towards the provider. */
  providerVerifier: string;
  /** Set when the flow links the provider to this signed-in user. */
  linkUserId: string | null;
}

export interface FlowRow {
  provider: string;
  redirect_uri: string;
  client_state: string;
  code_challenge: string;
  nonce: string;
  provider_verifier: string;
  link_user_id: string | null;
  expires_at: number;
}

export interface CodeRow {
  user_id: string;
  redirect_uri: string;
  code_challenge: string;
  expires_at: number;
  link_provider: string | null;
  link_provider_id: string | null;
}

/** A provider identity to add to the code's user when the code is redeemed. */
export interface PendingLink {
  provider: string;
  providerId: string;
}

export interface RedeemedCode {
  userId: string;
  /** Set when the code ends a link flow: the link is made only now, for the client holding the verifier. */
  link: PendingLink | undefined;
}

export interface CodeRedemption {
  code: string;
  codeVerifier: string;
  redirectUri: string;
}

/** The flow, code and link-ticket rows, on SQLite or PostgreSQL. `take*` and `useCode` are single statements: two racing callers cannot both win. */
export interface FlowTable {
  insertFlow(stateHash: string, flow: PendingFlow, expiresAt: number): Promise<void>;
  /** Deletes and returns the flow row. */
  takeFlow(stateHash: string): Promise<FlowRow | undefined>;
  insertCode(codeHash: string, userId: string, flow: PendingFlow, expiresAt: number, link: PendingLink | undefined): Promise<void>;
  /** Marks an unused code used and returns it; undefined when unknown or already used. */
  useCode(codeHash: string, at: number): Promise<CodeRow | undefined>;
  bindCode(codeHash: string, sessionId: string): Promise<void>;
  usedCodeSession(codeHash: string): Promise<string | null | undefined>;
  insertTicket(ticketHash: string, userId: string, provider: string, expiresAt: number): Promise<void>;
  takeTicket(ticketHash: string): Promise<{ user_id: string; provider: string; expires_at: number } | undefined>;
  /** Deletes expired flows and tickets, and codes past `usedCodeMemoryMs` after expiry. */
  prune(at: number, usedCodeMemoryMs: number): Promise<void>;
}

/** Short-lived, single-use secrets of the provider sign-in flow, in the database (so any node can finish a flow another began). */
export class OAuthFlowStore {
  constructor(private readonly table: FlowTable, private readonly now: () => number) {}

  /** Stores the flow and returns the state to send to the provider. */
  async startFlow(flow: PendingFlow): Promise<string> {
    const at = this.now();
    await this.table.prune(at, USED_CODE_MEMORY_MS);
    const state = newSecret();
    await this.table.insertFlow(hashSecret(state), flow, at + FLOW_TTL_MS);
    return state;
  }

  /** Consumes the flow a provider callback names; undefined if unknown, used, expired or another provider's. */
  async takeFlowFor(provider: string, state: string): Promise<PendingFlow | undefined> {
    const row = await this.table.takeFlow(hashSecret(state));
    if (!row || row.expires_at <= this.now() || row.provider !== provider) return undefined;
    return {
      provider: row.provider,
      redirectUri: row.redirect_uri,
      clientState: row.client_state,
      codeChallenge: row.code_challenge,
      nonce: row.nonce,
      providerVerifier: row.provider_verifier,
      linkUserId: row.link_user_id,
    };
  }

  /**
   * Mints the one-time code the loopback receives, bound to the client's PKCE
   * challenge and redirect_uri; `link` waits on it until it is redeemed.
   */
  async issueCode(userId: string, flow: PendingFlow, link?: PendingLink): Promise<string> {
    const code = newSecret();
    await this.table.insertCode(hashSecret(code), userId, flow, this.now() + CODE_TTL_MS, link);
    return code;
  }

  /**
   * Redeems a code once: any attempt uses it up, so a wrong verifier cannot be
   * retried. Returns the user it was issued for (and the link it completes), or throws `invalid_grant`.
   */
  async redeemCode(redemption: CodeRedemption): Promise<RedeemedCode> {
    const at = this.now();
    const row = await this.table.useCode(hashSecret(redemption.code), at);
    if (!row) throw new ApiError('invalid_grant', 'the code is unknown or was already used');
    if (row.expires_at <= at) throw new ApiError('invalid_grant', 'the code has expired; sign in again');
    if (row.redirect_uri !== redemption.redirectUri) throw new ApiError('invalid_grant', 'redirect_uri differs from the one the code was issued for');
    if (!pkceMatches(redemption.codeVerifier, row.code_challenge)) throw new ApiError('invalid_grant', 'code_verifier does not match the code_challenge');
    const link = row.link_provider !== null && row.link_provider_id !== null
      ? { provider: row.link_provider, providerId: row.link_provider_id }
      : undefined;
    return { userId: row.user_id, link };
  }

  /** Records the session a redeemed code started, so that a replay of the code can revoke it. */
  bindSession(code: string, sessionId: string): Promise<void> {
    return this.table.bindCode(hashSecret(code), sessionId);
  }

  /** The session started with `code` if the code was already redeemed: what a replay of it must revoke. */
  async sessionOfUsedCode(code: string): Promise<string | undefined> {
    return (await this.table.usedCodeSession(hashSecret(code))) ?? undefined;
  }

  async issueLinkTicket(userId: string, provider: string): Promise<string> {
    const ticket = newSecret();
    await this.table.insertTicket(hashSecret(ticket), userId, provider, this.now() + LINK_TICKET_TTL_MS);
    return ticket;
  }

  /** Consumes a link ticket; returns the user it links for, or throws. */
  async takeLinkTicket(ticket: string, provider: string): Promise<string> {
    const row = await this.table.takeTicket(hashSecret(ticket));
    if (!row || row.expires_at <= this.now() || row.provider !== provider) {
      throw new ApiError('invalid_request', 'the link ticket is unknown, used, expired or for another provider');
    }
    return row.user_id;
  }
}
