import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { OidcProviderConfig } from '../oauthConfig.js';
import type { ProviderIdentity } from '../providerIdentities.js';
import type { AuthorizationParams, CodeExchange, IdentityProvider } from './identityProvider.js';
import { callProvider, providerError } from './providerHttp.js';

/** Asymmetric algorithms only: an HS256 token would be "signed" with our own client secret. */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'ES256', 'PS256'];

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
});

const tokenAnswerSchema = z.object({ id_token: z.string().min(1) });
const tokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

interface Discovered {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

function displayNameOf(claims: JWTPayload): string {
  for (const claim of ['name', 'preferred_username', 'nickname', 'email']) {
    const value = claims[claim];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return '';
}

/** A generic OpenID Connect provider, found by its issuer's discovery document. */
export class OidcIdentityProvider implements IdentityProvider {
  readonly name: string;
  private discovered: Promise<Discovered> | undefined;

  constructor(private readonly config: OidcProviderConfig) {
    this.name = `oidc:${config.name}`;
  }

  async authorizationUrl({ state, nonce, codeChallenge, redirectUri }: AuthorizationParams): Promise<string> {
    const { authorizationEndpoint } = await this.discovery();
    const url = new URL(authorizationEndpoint);
    const params = {
      response_type: 'code',
      client_id: this.config.clientId,
      redirect_uri: redirectUri,
      scope: this.config.scopes.join(' '),
      state,
      nonce,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.toString();
  }

  async identify({ code, redirectUri, nonce, codeVerifier }: CodeExchange): Promise<ProviderIdentity> {
    const { tokenEndpoint, jwks } = await this.discovery();
    const idToken = await this.idToken(tokenEndpoint, code, redirectUri, codeVerifier);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(idToken, jwks, {
        issuer: this.config.issuer,
        audience: this.config.clientId,
        algorithms: ID_TOKEN_ALGORITHMS,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      const claim = error instanceof errors.JWTClaimValidationFailed ? ` ${error.claim}` : '';
      throw refusedIdToken(this.name, error instanceof errors.JOSEError ? `${error.code}${claim}` : (error as Error).message);
    }
    // Binds the token to this browser's flow: a token minted for another flow is refused.
    if (claims.nonce !== nonce) throw refusedIdToken(this.name, 'nonce mismatch');
    return { providerId: claims.sub!, displayName: displayNameOf(claims) };
  }

  private async idToken(tokenEndpoint: string, code: string, redirectUri: string, codeVerifier: string): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const { clientId, clientSecret } = this.config;
    if (clientSecret === undefined) {
      body.set('client_id', clientId);
    } else {
      // client_secret_basic: RFC 6749 §2.3.1 form-encodes both parts before base64.
      const encode = (part: string) => encodeURIComponent(part).replace(/%20/g, '+');
      headers.authorization = `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
    }
    const answer = await callProvider(this.name, 'token', tokenEndpoint, { method: 'POST', headers, body: body.toString() });
    const json = safeJson(answer.text);
    const failure = tokenErrorSchema.safeParse(json);
    if (failure.success) {
      throw providerError(this.name, 'token', failure.data.error_description ?? failure.data.error,
        { providerCode: failure.data.error, providerDescription: failure.data.error_description ?? '' });
    }
    const tokens = tokenAnswerSchema.safeParse(json);
    if (answer.status !== 200 || !tokens.success) throw providerError(this.name, 'token', `unreadable answer (HTTP ${answer.status})`);
    return tokens.data.id_token;
  }

  private discovery(): Promise<Discovered> {
    // Cached once it succeeds; a failed attempt is retried on the next sign-in.
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = undefined;
      throw error;
    });
    return this.discovered;
  }

  private async discover(): Promise<Discovered> {
    const url = `${this.config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const answer = await callProvider(this.name, 'discovery', url, { headers: { accept: 'application/json' } });
    const parsed = discoverySchema.safeParse(safeJson(answer.text));
    if (answer.status !== 200 || !parsed.success) throw providerError(this.name, 'discovery', `no usable discovery document at ${url}`);
    // OpenID Connect Discovery §4.3: the document must name exactly the configured issuer.
    if (parsed.data.issuer !== this.config.issuer) {
      throw providerError(this.name, 'discovery', `the document names issuer ${parsed.data.issuer}, not ${this.config.issuer}`);
    }
    return {
      authorizationEndpoint: parsed.data.authorization_endpoint,
      tokenEndpoint: parsed.data.token_endpoint,
      jwks: createRemoteJWKSet(new URL(parsed.data.jwks_uri)),
    };
  }
}

function refusedIdToken(provider: string, reason: string) {
  return providerError(provider, 'id_token', `the ID token was refused (${reason})`, { reason });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
