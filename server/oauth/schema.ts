import type { Migration } from '../db/migrate.js';

/**
 * Sign-in through a provider. A flow row lives from authorize to callback (the
 * service's own state towards the provider); a code row from callback to the
 * client's `POST /auth/token`; a link ticket from link-intent to authorize.
 * A link flow's identity rides on its code row until the code is redeemed.
 * Secrets are stored hashed. Used codes stay until they expire, so a replay is
 * recognised as one.
 */
export const oauthMigrations: Migration[] = [
  {
    id: 'oauth-0001-flows',
    sql: `
      CREATE TABLE oauth_flows (
        state_hash TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        client_state TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        nonce TEXT NOT NULL,
        provider_verifier TEXT NOT NULL,
        link_user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE oauth_codes (
        code_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE TABLE oauth_link_tickets (
        ticket_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    // session_id: the session a code was redeemed for; a replay of the code revokes it (RFC 6749 §4.1.2).
    // link_*: the identity a link flow adds to the code's user, only once the client that
    // started the flow redeems the code with its PKCE verifier.
    id: 'oauth-0002-code-sessions-and-links',
    sql: `
      ALTER TABLE oauth_codes ADD COLUMN session_id TEXT;
      ALTER TABLE oauth_codes ADD COLUMN link_provider TEXT;
      ALTER TABLE oauth_codes ADD COLUMN link_provider_id TEXT;
    `,
  },
];

/** The same steps on PostgreSQL (times in BIGINT milliseconds). */
export const oauthPgMigrations: Migration[] = [
  {
    id: 'oauth-0001-flows',
    sql: `
      CREATE TABLE oauth_flows (
        state_hash TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        client_state TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        nonce TEXT NOT NULL,
        provider_verifier TEXT NOT NULL,
        link_user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
        expires_at BIGINT NOT NULL
      );
      CREATE TABLE oauth_codes (
        code_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
      );
      CREATE TABLE oauth_link_tickets (
        ticket_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
    `,
  },
  {
    id: 'oauth-0002-code-sessions-and-links',
    sql: `
      ALTER TABLE oauth_codes ADD COLUMN session_id TEXT;
      ALTER TABLE oauth_codes ADD COLUMN link_provider TEXT;
      ALTER TABLE oauth_codes ADD COLUMN link_provider_id TEXT;
    `,
  },
];
