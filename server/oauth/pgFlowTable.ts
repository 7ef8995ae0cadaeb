import type { PgDatabase } from '../db/postgres.js';
import type { CodeRow, FlowRow, FlowTable, PendingFlow, PendingLink } from './flowStore.js';

/** The sign-in flow's rows on PostgreSQL: a flow begun on one node is finished on any other. */
export class PgFlowTable implements FlowTable {
  constructor(private readonly db: PgDatabase) {}

  async insertFlow(stateHash: string, flow: PendingFlow, expiresAt: number): Promise<void> {
    await this.db.query(`INSERT INTO oauth_flows
      (state_hash, provider, redirect_uri, client_state, code_challenge, nonce, provider_verifier, link_user_id, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [stateHash, flow.provider, flow.redirectUri, flow.clientState, flow.codeChallenge, flow.nonce, flow.providerVerifier, flow.linkUserId, expiresAt]);
  }

  async takeFlow(stateHash: string): Promise<FlowRow | undefined> {
    return (await this.db.query<FlowRow>('DELETE FROM oauth_flows WHERE state_hash = $1 RETURNING *', [stateHash])).rows[0];
  }

  async insertCode(codeHash: string, userId: string, flow: PendingFlow, expiresAt: number, link: PendingLink | undefined): Promise<void> {
    await this.db.query(`INSERT INTO oauth_codes
      (code_hash, user_id, redirect_uri, code_challenge, expires_at, link_provider, link_provider_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [codeHash, userId, flow.redirectUri, flow.codeChallenge, expiresAt, link?.provider ?? null, link?.providerId ?? null]);
  }

  // One statement: under READ COMMITTED a second redemption waits on the row lock, then sees used_at set and matches nothing.
  async useCode(codeHash: string, at: number): Promise<CodeRow | undefined> {
    return (await this.db.query<CodeRow>('UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL RETURNING *', [at, codeHash])).rows[0];
  }

  async bindCode(codeHash: string, sessionId: string): Promise<void> {
    await this.db.query('UPDATE oauth_codes SET session_id = $1 WHERE code_hash = $2', [sessionId, codeHash]);
  }

  async usedCodeSession(codeHash: string): Promise<string | null | undefined> {
    const { rows } = await this.db.query<{ session_id: string | null }>('SELECT session_id FROM oauth_codes WHERE code_hash = $1 AND used_at IS NOT NULL', [codeHash]);
    return rows[0]?.session_id;
  }

  async insertTicket(ticketHash: string, userId: string, provider: string, expiresAt: number): Promise<void> {
    await this.db.query('INSERT INTO oauth_link_tickets (ticket_hash, user_id, provider, expires_at) VALUES ($1, $2, $3, $4)', [ticketHash, userId, provider, expiresAt]);
  }

  async takeTicket(ticketHash: string): Promise<{ user_id: string; provider: string; expires_at: number } | undefined> {
    return (await this.db.query<{ user_id: string; provider: string; expires_at: number }>(
      'DELETE FROM oauth_link_tickets WHERE ticket_hash = $1 RETURNING *', [ticketHash])).rows[0];
  }

  async prune(at: number, usedCodeMemoryMs: number): Promise<void> {
    await this.db.query('DELETE FROM oauth_flows WHERE expires_at <= $1', [at]);
    await this.db.query('DELETE FROM oauth_codes WHERE expires_at <= $1', [at - usedCodeMemoryMs]);
    await this.db.query('DELETE FROM oauth_link_tickets WHERE expires_at <= $1', [at]);
  }
}
