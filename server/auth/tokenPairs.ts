import type { TokenPair, User } from '../../protocol/api.js';
import type { AccessTokens } from './accessTokens.js';
import type { IssuedRefreshToken } from './refreshTokens.js';

/** The sign-in answer: an access token bound to the refresh token's session. */
export async function tokenPair(accessTokens: AccessTokens, refresh: IssuedRefreshToken, user: User): Promise<TokenPair> {
  return {
    accessToken: await accessTokens.issue(user.id, refresh.familyId),
    refreshToken: refresh.token,
    expiresIn: accessTokens.ttlSeconds,
    user,
  };
}
