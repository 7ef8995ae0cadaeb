import { z } from 'zod';

export interface QqProviderConfig {
  appId: string;
  appKey: string;
  /** https://graph.qq.com, or the local stand-in. */
  baseUrl: string;
  /** Ask `/oauth2.0/me` for the unionid and key accounts on it (needs QQ's approval for the app). */
  unionid: boolean;
}

export interface OidcProviderConfig {
  /** The provider is `oidc:<name>` in URLs. */
  name: string;
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only, `token_endpoint_auth_method` none). */
  clientSecret?: string;
  scopes: string[];
}

export interface OAuthConfig {
  qq?: QqProviderConfig;
  oidc: OidcProviderConfig[];
}

export const DEFAULT_QQ_BASE_URL = 'https://graph.qq.com';
const DEFAULT_OIDC_SCOPES = ['openid', 'profile'];

export const oidcProviderName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'name: lowercase letters, digits, "_" and "-"');

const oidcProvidersEnv = z.array(z.object({
  name: oidcProviderName,
  issuer: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  scopes: z.array(z.string().min(1)).optional(),
}));

export class OAuthConfigError extends Error {
  override name = 'OAuthConfigError';
}

function oidcFromEnv(json: string | undefined): OidcProviderConfig[] {
  if (json === undefined || json.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new OAuthConfigError('NETDISK_OIDC_PROVIDERS must be a JSON array');
  }
  const parsed = oidcProvidersEnv.safeParse(raw);
  if (!parsed.success) throw new OAuthConfigError(`NETDISK_OIDC_PROVIDERS: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const names = new Set<string>();
  return parsed.data.map((entry) => {
    if (names.has(entry.name)) throw new OAuthConfigError(`NETDISK_OIDC_PROVIDERS: "${entry.name}" appears twice`);
    names.add(entry.name);
    const scopes = entry.scopes ?? DEFAULT_OIDC_SCOPES;
    return { ...entry, scopes: scopes.includes('openid') ? scopes : ['openid', ...scopes] };
  });
}

/** Providers from NETDISK_QQ_* and NETDISK_OIDC_PROVIDERS; QQ is off unless both app id and key are set. */
export function loadOAuthConfig(env: NodeJS.ProcessEnv): OAuthConfig {
  const appId = env.NETDISK_QQ_APP_ID;
  const appKey = env.NETDISK_QQ_APP_KEY;
  if (Boolean(appId) !== Boolean(appKey)) throw new OAuthConfigError('set both NETDISK_QQ_APP_ID and NETDISK_QQ_APP_KEY, or neither');
  return {
    ...(appId && appKey ? {
      qq: {
        appId,
        appKey,
        baseUrl: env.NETDISK_QQ_BASE_URL || DEFAULT_QQ_BASE_URL,
        unionid: env.NETDISK_QQ_UNIONID === '1',
      },
    } : {}),
    oidc: oidcFromEnv(env.NETDISK_OIDC_PROVIDERS),
  };
}
