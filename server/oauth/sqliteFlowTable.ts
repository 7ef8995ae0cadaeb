import type Database from 'better-sqlite3';
import type { CodeRow, FlowRow, FlowTable, PendingFlow, PendingLink } from './flowStore.js';

/** The sign-in flow's rows on SQLite. */
export class SqliteFlowTable implements FlowTable {
  private readonly insertFlowRow: Database.Statement<[string, string, string, string, string, string, string, string | null, number]>;
  private readonly takeFlowRow: Database.Statement<[string], FlowRow>;
  private readonly insertCodeRow: Database.Statement<[string, string, string, string, number, string | null, string | null]>;
  private readonly useCodeRow: Database.Statement<[number, string], CodeRow>;
  private readonly bindCodeRow: Database.Statement<[string, string]>;
  private readonly usedCodeSessionOf: Database.Statement<[string], string | null>;
  private readonly insertTicketRow: Database.Statement<[string, string, string, number]>;
  private readonly takeTicketRow: Database.Statement<[string], { user_id: string; provider: string; expires_at: number }>;
  private readonly pruneAll: Database.Transaction<(at: number, usedCodeMemoryMs: number) => void>;

  constructor(db: Database.Database) {
    this.insertFlowRow = db.prepare(`INSERT INTO oauth_flows
      (state_hash, provider, redirect_uri, client_state, code_challenge, nonce, provider_verifier, link_user_id, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.takeFlowRow = db.prepare('DELETE FROM oauth_flows WHERE state_hash = ? RETURNING *');
    this.insertCodeRow = db.prepare(`INSERT INTO oauth_codes
      (code_hash, user_id, redirect_uri, code_challenge, expires_at, link_provider, link_provider_id)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    // Marking used and reading in one statement: two concurrent redemptions cannot both win.
    this.useCodeRow = db.prepare('UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL RETURNING *');
    this.bindCodeRow = db.prepare('UPDATE oauth_codes SET session_id = ? WHERE code_hash = ?');
    this.usedCodeSessionOf = db.prepare<[string], string | null>('SELECT session_id FROM oauth_codes WHERE code_hash = ? AND used_at IS NOT NULL').pluck();
    this.insertTicketRow = db.prepare('INSERT INTO oauth_link_tickets (ticket_hash, user_id, provider, expires_at) VALUES (?, ?, ?, ?)');
    this.takeTicketRow = db.prepare('DELETE FROM oauth_link_tickets WHERE ticket_hash = ? RETURNING *');
    const pruneFlows = db.prepare('DELETE FROM oauth_flows WHERE expires_at <= ?');
    const pruneCodes = db.prepare('DELETE FROM oauth_codes WHERE expires_at <= ?');
    const pruneTickets = db.prepare('DELETE FROM oauth_link_tickets WHERE expires_at <= ?');
    this.pruneAll = db.transaction((at: number, usedCodeMemoryMs: number) => {
      pruneFlows.run(at);
      pruneCodes.run(at - usedCodeMemoryMs);
      pruneTickets.run(at);
    });
  }

  async insertFlow(stateHash: string, flow: PendingFlow, expiresAt: number): Promise<void> {
    this.insertFlowRow.run(stateHash, flow.provider, flow.redirectUri, flow.clientState, flow.codeChallenge,
      flow.nonce, flow.providerVerifier, flow.linkUserId, expiresAt);
  }

  async takeFlow(stateHash: string): Promise<FlowRow | undefined> {
    return this.takeFlowRow.get(stateHash);
  }

  async insertCode(codeHash: string, userId: string, flow: PendingFlow, expiresAt: number, link: PendingLink | undefined): Promise<void> {
    this.insertCodeRow.run(codeHash, userId, flow.redirectUri, flow.codeChallenge, expiresAt, link?.provider ?? null, link?.providerId ?? null);
  }

  async useCode(codeHash: string, at: number): Promise<CodeRow | undefined> {
    return this.useCodeRow.get(at, codeHash);
  }

  async bindCode(codeHash: string, sessionId: string): Promise<void> {
    this.bindCodeRow.run(sessionId, codeHash);
  }

  async usedCodeSession(codeHash: string): Promise<string | null | undefined> {
    return this.usedCodeSessionOf.get(codeHash);
  }

  async insertTicket(ticketHash: string, userId: string, provider: string, expiresAt: number): Promise<void> {
    this.insertTicketRow.run(ticketHash, userId, provider, expiresAt);
  }

  async takeTicket(ticketHash: string): Promise<{ user_id: string; provider: string; expires_at: number } | undefined> {
    return this.takeTicketRow.get(ticketHash);
  }

  async prune(at: number, usedCodeMemoryMs: number): Promise<void> {
    this.pruneAll(at, usedCodeMemoryMs);
  }
}
