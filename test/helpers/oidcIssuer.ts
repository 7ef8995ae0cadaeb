import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (panva's oidc-provider) on 127.0.0.1, with its
 * development login and consent pages. Its signing key is ours, so a test can
 * re-sign an ID token it rewrote (wrong nonce, audience) or corrupt its signature.
 */
export interface OidcIssuer {
  issuer: string;
  /** Registers the one client; call once the service's callback URL is known. */
  addClient(client: { clientId: string; clientSecret: string; redirectUri: string }): void;
  /** The next token answer carries an ID token rewritten by `rewrite` and signed again with the real key. */
  rewriteNextIdToken(rewrite: (claims: JWTPayload) => JWTPayload): void;
  /** The next token answer carries an ID token whose signature is broken. */
  corruptNextIdTokenSignature(): void;
  close(): Promise<void>;
}

type Tamper = (idToken: string) => Promise<string>;

export async function startOidcIssuer(): Promise<OidcIssuer> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  let handler: RequestListener | undefined;
  const server: Server = createServer((request, response) => {
    if (handler) return handler(request, response);
    response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let tamper: Tamper | undefined;

  return {
    issuer,
    addClient({ clientId, clientSecret, redirectUri }) {
      const provider = new Provider(issuer, {
        clients: [{
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['authorization_code'],
          response_types: ['code'],
        }],
        jwks: { keys: [jwk] },
        findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id, name: `Ada ${id}` }) }),
        claims: { openid: ['sub'], profile: ['name'] },
        // Put the profile claims into the ID token itself (the service reads no userinfo).
        conformIdTokenClaims: false,
        cookies: { keys: ['oidc-issuer-test-cookie-key'] },
      });
      provider.use(async (ctx, next) => {
        await next();
        const body = ctx.body as { id_token?: string } | undefined;
        if (ctx.path === '/token' && tamper && typeof body?.id_token === 'string') {
          const change = tamper;
          tamper = undefined;
          body.id_token = await change(body.id_token);
        }
      });
      handler = provider.callback();
    },
    rewriteNextIdToken(rewrite) {
      tamper = async (idToken) => new SignJWT(rewrite(decodeJwt(idToken)))
        .setProtectedHeader(decodeProtectedHeader(idToken) as { alg: string })
        .sign(privateKey);
    },
    corruptNextIdTokenSignature() {
      tamper = async (idToken) => {
        const [header, payload, signature = ''] = idToken.split('.');
        const i = Math.floor(signature.length / 2);
        const flipped = signature[i] === 'A' ? 'B' : 'A';
        return `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
      };
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
