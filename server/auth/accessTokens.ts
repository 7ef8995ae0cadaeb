import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { ApiError } from '../errors.js';
import type { SigningKeyRing } from './signingKeys.js';

/** Only this algorithm is ever accepted: `none` and key-confusion tricks fail here. */
const ALGORITHMS = ['HS256'];

export interface AccessTokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AccessClaims {
  userId: string;
  /** The refresh-token family (device session) the token was issued for: its `sid` claim. */
  sessionId: string;
}

/** Issues and verifies short-lived access JWTs. */
export class AccessTokens {
  /**
   * Secrets imported once: handing jose raw bytes makes it import the key on
   * every call, which showed as a sixth of the main thread under load.
   */
  private readonly keyObjects: Map<string, KeyObject>;
  private readonly signingKey: KeyObject;

  constructor(private readonly keys: SigningKeyRing, private readonly options: AccessTokenOptions) {
    this.keyObjects = new Map([...keys.byKid].map(([kid, key]) => [kid, createSecretKey(key.secret)]));
    this.signingKey = createSecretKey(keys.current.secret);
  }

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  async issue(userId: string, sessionId: string): Promise<string> {
    const { current } = this.keys;
    const jwt = new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', kid: current.kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttlSeconds}s`);
    return jwt.sign(this.signingKey);
  }

  /** Throws `unauthorized` (or `token_expired`) for anything but a valid token of ours. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, (header: JWTHeaderParameters) => {
        const key = header.kid ? this.keyObjects.get(header.kid) : undefined;
        if (!key) throw new ApiError('unauthorized', 'the access token was signed with an unknown key');
        return key;
      }, {
        algorithms: ALGORITHMS,
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'exp', 'iat', 'sid'],
      });
      // Without a session id the token could not be signed out: none of ours lacks one.
      if (typeof payload.sid !== 'string') throw new ApiError('unauthorized', 'the access token names no session');
      return { userId: payload.sub!, sessionId: payload.sid };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (error instanceof errors.JWTExpired) throw new ApiError('token_expired', 'the access token has expired; refresh it');
      throw new ApiError('unauthorized', 'the access token is not valid');
    }
  }
}
