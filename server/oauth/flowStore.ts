import type Database from 'better-sqlite3';
import { ApiError } from '../errors.js';
import { hashSecret, newSecret, pkceMatches } from './secrets.js';

/** The user has this long to sign in at the provider. */
export const FLOW_TTL_MS = 10 * 60_000;
/** The client trades the one-time code right after the loopback receives it. */
export const CODE_TTL_MS = 60_000;
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
  private readonly insertCode: Database.Statement<[string, string, string, string, number]>;
  private readonly useCode: Database.Statement<[number, string], CodeRow>;
  private readonly insertTicket: Database.Statement<[string, string, string, number]>;
  private readonly takeTicket: Database.Statement<[string], { user_id: string; provider: string; expires_at: number }>;
  private readonly prune: Database.Transaction<(at: number) => void>;

  constructor(db: Database.Database, private readonly now: () => number) {
    this.insertFlow = db.prepare(`INSERT INTO oauth_flows
      (state_hash, provider, redirect_uri, client_state, code_challenge, nonce, provider_verifier, link_user_id, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.takeFlow = db.prepare('DELETE FROM oauth_flows WHERE state_hash = ? RETURNING *');
    this.insertCode = db.prepare(`INSERT INTO oauth_codes (code_hash, user_id, redirect_uri, code_challenge, expires_at)
      VALUES (?, ?, ?, ?, ?)`);
    // Marking used and reading in one statement: two concurrent redemptions cannot both win.
    this.useCode = db.prepare('UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL RETURNING *');
    this.insertTicket = db.prepare('INSERT INTO oauth_link_tickets (ticket_hash, user_id, provider, expires_at) VALUES (?, ?, ?, ?)');
    this.takeTicket = db.prepare('DELETE FROM oauth_link_tickets WHERE ticket_hash = ? RETURNING *');
    const pruneFlows = db.prepare('DELETE FROM oauth_flows WHERE expires_at <= ?');
    const pruneCodes = db.prepare('DELETE FROM oauth_codes WHERE expires_at <= ?');
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

  /** Mints the one-time code the loopback receives, bound to the client's PKCE challenge and redirect_uri. */
  issueCode(userId: string, flow: PendingFlow): string {
    const code = newSecret();
    this.insertCode.run(hashSecret(code), userId, flow.redirectUri, flow.codeChallenge, this.now() + CODE_TTL_MS);
    return code;
  }

  /**
   * Redeems a code once: any attempt uses it up, so a wrong verifier cannot be
   * retried. Returns the user it was issued for, or throws `invalid_grant`.
   */
  redeemCode(redemption: CodeRedemption): string {
    const at = this.now();
    const row = this.useCode.get(at, hashSecret(redemption.code));
    if (!row) throw new ApiError('invalid_grant', 'the code is unknown or was already used');
    if (row.expires_at <= at) throw new ApiError('invalid_grant', 'the code has expired; sign in again');
    if (row.redirect_uri !== redemption.redirectUri) throw new ApiError('invalid_grant', 'redirect_uri differs from the one the code was issued for');
    if (!pkceMatches(redemption.codeVerifier, row.code_challenge)) throw new ApiError('invalid_grant', 'code_verifier does not match the code_challenge');
    return row.user_id;
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
