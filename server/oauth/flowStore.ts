import type Database from 'better-sqlite3';
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

interface FlowRow {
  provider: string;
  redirect_uri: string;
  client_state: string;
  code_challenge: string;
  nonce: string;
  provider_verifier: string;
  link_user_id: string | null;
  expires_at: number;
}

interface CodeRow {
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

/** Short-lived, single-use secrets of the provider sign-in flow, in SQLite. */
export class OAuthFlowStore {
  private readonly insertFlow: Database.Statement<[string, string, string, string, string, string, string, string | null, number]>;
  private readonly takeFlow: Database.Statement<[string], FlowRow>;
  private readonly insertCode: Database.Statement<[string, string, string, string, number, string | null, string | null]>;
  private readonly useCode: Database.Statement<[number, string], CodeRow>;
  private readonly bindCode: Database.Statement<[string, string]>;
  private readonly usedCodeSession: Database.Statement<[string], string | null>;
  private readonly insertTicket: Database.Statement<[string, string, string, number]>;
  private readonly takeTicket: Database.Statement<[string], { user_id: string; provider: string; expires_at: number }>;
  private readonly prune: Database.Transaction<(at: number) => void>;

  constructor(db: Database.Database, private readonly now: () => number) {
    this.insertFlow = db.prepare(`INSERT INTO oauth_flows
      (state_hash, provider, redirect_uri, client_state, code_challenge, nonce, provider_verifier, link_user_id, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.takeFlow = db.prepare('DELETE FROM oauth_flows WHERE state_hash = ? RETURNING *');
    this.insertCode = db.prepare(`INSERT INTO oauth_codes
      (code_hash, user_id, redirect_uri, code_challenge, expires_at, link_provider, link_provider_id)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    // Marking used and reading in one statement: two concurrent redemptions cannot both win.
    this.useCode = db.prepare('UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL RETURNING *');
    this.bindCode = db.prepare('UPDATE oauth_codes SET session_id = ? WHERE code_hash = ?');
    this.usedCodeSession = db.prepare<[string], string | null>('SELECT session_id FROM oauth_codes WHERE code_hash = ? AND used_at IS NOT NULL').pluck();
    this.insertTicket = db.prepare('INSERT INTO oauth_link_tickets (ticket_hash, user_id, provider, expires_at) VALUES (?, ?, ?, ?)');
    this.takeTicket = db.prepare('DELETE FROM oauth_link_tickets WHERE ticket_hash = ? RETURNING *');
    const pruneFlows = db.prepare('DELETE FROM oauth_flows WHERE expires_at <= ?');
    const pruneCodes = db.prepare(`DELETE FROM oauth_codes WHERE expires_at <= ? - ${USED_CODE_MEMORY_MS}`);
    const pruneTickets = db.prepare('DELETE FROM oauth_link_tickets WHERE expires_at <= ?');
    this.prune = db.transaction((at: number) => {
      pruneFlows.run(at);
      pruneCodes.run(at);
      pruneTickets.run(at);
    });
  }

  /** Stores the flow and returns the state to send to the provider. */
  startFlow(flow: PendingFlow): string {
    const at = this.now();
    this.prune(at);
    const state = newSecret();
    this.insertFlow.run(hashSecret(state), flow.provider, flow.redirectUri, flow.clientState, flow.codeChallenge,
      flow.nonce, flow.providerVerifier, flow.linkUserId, at + FLOW_TTL_MS);
    return state;
  }

  /** Consumes the flow a provider callback names; undefined if unknown, used, expired or another provider's. */
  takeFlowFor(provider: string, state: string): PendingFlow | undefined {
    const row = this.takeFlow.get(hashSecret(state));
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
  issueCode(userId: string, flow: PendingFlow, link?: PendingLink): string {
    const code = newSecret();
    this.insertCode.run(hashSecret(code), userId, flow.redirectUri, flow.codeChallenge, this.now() + CODE_TTL_MS,
      link?.provider ?? null, link?.providerId ?? null);
    return code;
  }

  /**
   * Redeems a code once: any attempt uses it up, so a wrong verifier cannot be
   * retried. Returns the user it was issued for (and the link it completes), or throws `invalid_grant`.
   */
  redeemCode(redemption: CodeRedemption): RedeemedCode {
    const at = this.now();
    const row = this.useCode.get(at, hashSecret(redemption.code));
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
  bindSession(code: string, sessionId: string): void {
    this.bindCode.run(sessionId, hashSecret(code));
  }

  /** The session started with `code` if the code was already redeemed: what a replay of it must revoke. */
  sessionOfUsedCode(code: string): string | undefined {
    return this.usedCodeSession.get(hashSecret(code)) ?? undefined;
  }

  issueLinkTicket(userId: string, provider: string): string {
    const ticket = newSecret();
    this.insertTicket.run(hashSecret(ticket), userId, provider, this.now() + LINK_TICKET_TTL_MS);
    return ticket;
  }

  /** Consumes a link ticket; returns the user it links for, or throws. */
  takeLinkTicket(ticket: string, provider: string): string {
    const row = this.takeTicket.get(hashSecret(ticket));
    if (!row || row.expires_at <= this.now() || row.provider !== provider) {
      throw new ApiError('invalid_request', 'the link ticket is unknown, used, expired or for another provider');
    }
    return row.user_id;
  }
}
