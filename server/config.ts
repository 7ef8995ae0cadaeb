import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { HELP_FLAG, type CliFlags } from '../protocol/cliFlags.js';
import { BLOCK_SIZE } from '../protocol/contentHash.js';
import type { S3Settings } from './blobs/s3BlobStore.js';
import { isPostgresUrl } from './db/postgres.js';
import { S3_MAX_PART_BYTES, S3_MIN_PART_BYTES } from './blobs/s3Limits.js';
import { loadOAuthConfig, OAuthConfigError, type OAuthConfig } from './oauth/oauthConfig.js';

/** Everything the service can be told. One object, built once, passed down: no global config. */
export interface ServerConfig {
  host: string;
  port: number;
  /** Holds the SQLite database, blobs, upload staging and the signing keys. */
  dataDir: string;
  /**
   * NETDISK_DATABASE_URL: a postgres:// URL puts the metadata on PostgreSQL,
   * shared by several nodes; absent, it lives in SQLite in the data folder.
   */
  databaseUrl?: string;
  /** The URL clients and OAuth providers reach this service at. */
  publicUrl: string;
  logLevel: string;
  jwt: {
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    /** Configured signing secret; when absent one is generated in the data folder. */
    secret?: string;
  };
  refreshTtlSeconds: number;
  /** scrypt cost; the default is OWASP's recommendation (N=2^17, r=8, p=1). */
  scrypt: { N: number; r: number; p: number };
  /** Upload chunk size, a multiple of the 4 MiB block. */
  chunkSize: number;
  uploadTtlSeconds: number;
  trashRetentionSeconds: number;
  /** Change-feed rows older than this may be pruned; older cursors then get 410. */
  changeRetentionSeconds: number;
  /** Previous versions of replaced files: kept this long after they were replaced, and at most this many per file. */
  versions: { retentionSeconds: number; maxPerFile: number };
  /** Sign-in providers (QQ, OpenID Connect issuers); none configured means password sign-in only. */
  oauth: OAuthConfig;
  /** `open`: anyone may register; `closed`: accounts are made with `netdisk-server users add`. */
  registration: 'open' | 'closed';
  /**
   * Proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed, e.g.
   * the load balancer in front of several nodes; empty: the header is ignored,
   * the peer address is the client's (a client could otherwise pick its own
   * address and escape every per-address throttle).
   */
  trustedProxies: string[];
  /** Time limits that end slow or stalled requests, so they cannot hold the service's connections. */
  timeouts: {
    /** A request whose body is still arriving after this long is answered 408 and closed. */
    requestSeconds: number;
    /** A request whose headers are still arriving after this long is closed. */
    headersSeconds: number;
  };
  /** Per-user limits on storage and on uploads in progress. */
  limits: {
    /** Bytes of files (live and in the trash) plus bytes reserved by open uploads. */
    quotaBytes: number;
    /** Upload sessions one user may have open at once. */
    maxUploadSessions: number;
    /** Bytes all of one user's open upload sessions may declare together. */
    maxPendingUploadBytes: number;
    /** Registrations one client address may attempt per hour. */
    registrationsPerHour: number;
  };
  /** Where file content lives: the data folder, or an S3 bucket. */
  blobs: BlobsConfig;
}

export type BlobsConfig = { kind: 'local' } | S3BlobsConfig;

export interface S3BlobsConfig extends S3Settings {
  kind: 's3';
  /** Downloads answer 302 to a short-lived presigned GET instead of streaming through the service. */
  presign: boolean;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './netdisk-data',
  logLevel: 'info',
  accessTtlSeconds: 15 * 60,
  refreshTtlSeconds: 60 * 24 * 3600,
  scrypt: { N: 2 ** 17, r: 8, p: 1 },
  chunkSize: 2 * BLOCK_SIZE,
  uploadTtlSeconds: 24 * 3600,
  trashRetentionSeconds: 30 * 24 * 3600,
  changeRetentionSeconds: 90 * 24 * 3600,
  versionRetentionSeconds: 30 * 24 * 3600,
  maxVersionsPerFile: 100,
  // Node's own default; at 300 s an 8 MiB chunk still arrives at 28 KiB/s.
  requestTimeoutSeconds: 300,
  headersTimeoutSeconds: 30,
  quotaBytes: 100 * 1024 ** 3,
  maxUploadSessions: 100,
  maxPendingUploadBytes: 50 * 1024 ** 3,
  registrationsPerHour: 10,
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function oauthOption(env: NodeJS.ProcessEnv): OAuthConfig {
  try {
    return loadOAuthConfig(env);
  } catch (error) {
    if (error instanceof OAuthConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

/** NETDISK_TRUST_PROXY: comma-separated IPv4/IPv6 addresses or CIDR ranges. */
function trustedProxiesOption(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((item) => item.trim()).map((item) => {
    const [address = '', prefix, extra] = item.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(`NETDISK_TRUST_PROXY takes addresses or CIDR ranges separated by commas, got "${item}"`);
    }
    return item;
  });
}

function registrationOption(value: string | undefined): 'open' | 'closed' {
  if (value === undefined || value === '' || value === 'open') return 'open';
  if (value === 'closed') return 'closed';
  throw new ConfigError(`NETDISK_REGISTRATION must be "open" or "closed", got "${value}"`);
}

function positiveOption(name: string, value: string | undefined, fallback: number): number {
  const n = intOption(name, value, fallback);
  if (n === 0) throw new ConfigError(`${name} must be positive`);
  return n;
}

function timeoutsOption(env: NodeJS.ProcessEnv): ServerConfig['timeouts'] {
  const requestSeconds = positiveOption('NETDISK_REQUEST_TIMEOUT', env.NETDISK_REQUEST_TIMEOUT, DEFAULTS.requestTimeoutSeconds);
  const headersSeconds = positiveOption('NETDISK_HEADERS_TIMEOUT', env.NETDISK_HEADERS_TIMEOUT, DEFAULTS.headersTimeoutSeconds);
  // Node refuses a headers timeout longer than the request timeout.
  if (headersSeconds > requestSeconds) throw new ConfigError('NETDISK_HEADERS_TIMEOUT may not exceed NETDISK_REQUEST_TIMEOUT');
  return { requestSeconds, headersSeconds };
}

function booleanOption(name: string, value: string | boolean | undefined): boolean {
  if (value === undefined || value === '' || value === false) return false;
  if (value === true || value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new ConfigError(`${name} must be 1 or 0, got "${value}"`);
}

type Flags = Partial<Record<'blobs' | 's3-endpoint' | 's3-region' | 's3-bucket' | 's3-prefix', string>>
  & Partial<Record<'s3-force-path-style' | 's3-presign', boolean>>;

/**
 * NETDISK_BLOBS=local|s3 and the NETDISK_S3_* settings (or their flags).
 * Credentials are deliberately not among them: the AWS SDK's default chain
 * finds them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the
 * shared files), so they never sit in a command line or a process listing.
 */
function blobsOption(flags: Flags, env: NodeJS.ProcessEnv, chunkSize: number): BlobsConfig {
  const kind = flags.blobs ?? env.NETDISK_BLOBS ?? 'local';
  if (kind === 'local') return { kind };
  if (kind !== 's3') throw new ConfigError(`NETDISK_BLOBS must be "local" or "s3", got "${kind}"`);
  const bucket = flags['s3-bucket'] ?? env.NETDISK_S3_BUCKET;
  if (!bucket) throw new ConfigError('NETDISK_BLOBS=s3 needs NETDISK_S3_BUCKET (or --s3-bucket)');
  if (chunkSize < S3_MIN_PART_BYTES || chunkSize > S3_MAX_PART_BYTES) {
    throw new ConfigError(`with NETDISK_BLOBS=s3 the chunk size (${chunkSize} bytes) must be between S3's part limits, ${S3_MIN_PART_BYTES} and ${S3_MAX_PART_BYTES} bytes; use a multiple of ${BLOCK_SIZE} such as ${2 * BLOCK_SIZE}`);
  }
  const endpoint = flags['s3-endpoint'] ?? env.NETDISK_S3_ENDPOINT;
  if (endpoint !== undefined && endpoint !== '' && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new ConfigError(`NETDISK_S3_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  }
  let prefix = flags['s3-prefix'] ?? env.NETDISK_S3_PREFIX ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return {
    kind,
    ...(endpoint ? { endpoint } : {}),
    region: flags['s3-region'] ?? env.NETDISK_S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
    bucket,
    prefix,
    forcePathStyle: booleanOption('NETDISK_S3_FORCE_PATH_STYLE', flags['s3-force-path-style'] ?? env.NETDISK_S3_FORCE_PATH_STYLE),
    presign: booleanOption('NETDISK_S3_PRESIGN', flags['s3-presign'] ?? env.NETDISK_S3_PRESIGN),
  };
}

/**
 * NETDISK_DATABASE_URL, environment only (no flag): the URL may carry a
 * password, and a command line is visible to every user in `ps`.
 */
function databaseUrlOption(env: NodeJS.ProcessEnv): { databaseUrl?: string } {
  const url = env.NETDISK_DATABASE_URL;
  if (url === undefined || url === '') return {};
  if (!isPostgresUrl(url)) throw new ConfigError('NETDISK_DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for SQLite in the data folder)');
  return { databaseUrl: url };
}

/** The command-line flags: what `loadConfig` parses and what `--help` lists (protocol/cliFlags.ts). */
export const SERVER_FLAGS = {
  host: { type: 'string', value: 'HOST', description: `address to listen on (NETDISK_HOST, default ${DEFAULTS.host})` },
  port: { type: 'string', value: 'PORT', description: `port to listen on (NETDISK_PORT, default ${DEFAULTS.port})` },
  data: { type: 'string', value: 'DIR', description: `database, blobs and signing keys (NETDISK_DATA, default ${DEFAULTS.dataDir})` },
  'public-url': { type: 'string', value: 'URL', description: 'the URL clients and OAuth providers reach this service at (NETDISK_PUBLIC_URL)' },
  'log-level': { type: 'string', value: 'LEVEL', description: `fatal, error, warn, info, debug or trace (NETDISK_LOG_LEVEL, default ${DEFAULTS.logLevel})` },
  'chunk-size': { type: 'string', value: 'BYTES', description: `upload chunk size, a multiple of ${BLOCK_SIZE} (NETDISK_CHUNK_SIZE, default ${DEFAULTS.chunkSize})` },
  blobs: { type: 'string', value: 'local|s3', description: 'where file content lives: the data folder or an S3 bucket (NETDISK_BLOBS, default local)' },
  's3-endpoint': { type: 'string', value: 'URL', description: 'the S3 server, e.g. http://127.0.0.1:9000; absent: AWS (NETDISK_S3_ENDPOINT)' },
  's3-region': { type: 'string', value: 'REGION', description: 'the S3 signing region (NETDISK_S3_REGION, default AWS_REGION or us-east-1)' },
  's3-bucket': { type: 'string', value: 'BUCKET', description: 'the bucket, which must exist (NETDISK_S3_BUCKET)' },
  's3-prefix': { type: 'string', value: 'PREFIX', description: 'a key prefix such as netdisk/ (NETDISK_S3_PREFIX)' },
  's3-force-path-style': { type: 'boolean', description: 'path-style URLs, for MinIO and Ceph RGW (NETDISK_S3_FORCE_PATH_STYLE=1)' },
  's3-presign': { type: 'boolean', description: 'downloads answer 302 to a 5-minute presigned GET (NETDISK_S3_PRESIGN=1)\nS3 credentials come only from the AWS SDK\'s chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE' },
  ...HELP_FLAG,
} as const satisfies CliFlags;

/** Builds the config from defaults, then environment (NETDISK_*), then command-line flags. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const { values } = parseArgs({ args: [...argv], options: SERVER_FLAGS, strict: true });
  const host = values.host ?? env.NETDISK_HOST ?? DEFAULTS.host;
  const port = intOption('port', values.port ?? env.NETDISK_PORT, DEFAULTS.port);
  if (port > 65535) throw new ConfigError(`port must be at most 65535, got ${port}`);
  const chunkSize = intOption('chunk-size', values['chunk-size'] ?? env.NETDISK_CHUNK_SIZE, DEFAULTS.chunkSize);
  if (chunkSize === 0 || chunkSize % BLOCK_SIZE !== 0) {
    throw new ConfigError(`chunk size must be a positive multiple of ${BLOCK_SIZE} bytes, got ${chunkSize}`);
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    dataDir: resolve(values.data ?? env.NETDISK_DATA ?? DEFAULTS.dataDir),
    ...databaseUrlOption(env),
    publicUrl: values['public-url'] ?? env.NETDISK_PUBLIC_URL ?? `http://${urlHost}:${port}`,
    logLevel: values['log-level'] ?? env.NETDISK_LOG_LEVEL ?? DEFAULTS.logLevel,
    jwt: {
      issuer: env.NETDISK_JWT_ISSUER ?? 'netdisk-server',
      audience: env.NETDISK_JWT_AUDIENCE ?? 'netdisk-sync',
      accessTtlSeconds: intOption('NETDISK_ACCESS_TTL', env.NETDISK_ACCESS_TTL, DEFAULTS.accessTtlSeconds),
      ...(env.NETDISK_JWT_SECRET ? { secret: env.NETDISK_JWT_SECRET } : {}),
    },
    refreshTtlSeconds: intOption('NETDISK_REFRESH_TTL', env.NETDISK_REFRESH_TTL, DEFAULTS.refreshTtlSeconds),
    scrypt: { ...DEFAULTS.scrypt },
    chunkSize,
    uploadTtlSeconds: intOption('NETDISK_UPLOAD_TTL', env.NETDISK_UPLOAD_TTL, DEFAULTS.uploadTtlSeconds),
    trashRetentionSeconds: intOption('NETDISK_TRASH_RETENTION', env.NETDISK_TRASH_RETENTION, DEFAULTS.trashRetentionSeconds),
    changeRetentionSeconds: intOption('NETDISK_CHANGE_RETENTION', env.NETDISK_CHANGE_RETENTION, DEFAULTS.changeRetentionSeconds),
    versions: {
      retentionSeconds: intOption('NETDISK_VERSION_RETENTION', env.NETDISK_VERSION_RETENTION, DEFAULTS.versionRetentionSeconds),
      maxPerFile: intOption('NETDISK_MAX_VERSIONS', env.NETDISK_MAX_VERSIONS, DEFAULTS.maxVersionsPerFile),
    },
    oauth: oauthOption(env),
    registration: registrationOption(env.NETDISK_REGISTRATION),
    trustedProxies: trustedProxiesOption(env.NETDISK_TRUST_PROXY),
    timeouts: timeoutsOption(env),
    limits: {
      quotaBytes: intOption('NETDISK_QUOTA_BYTES', env.NETDISK_QUOTA_BYTES, DEFAULTS.quotaBytes),
      maxUploadSessions: positiveOption('NETDISK_MAX_UPLOAD_SESSIONS', env.NETDISK_MAX_UPLOAD_SESSIONS, DEFAULTS.maxUploadSessions),
      maxPendingUploadBytes: intOption('NETDISK_MAX_PENDING_UPLOAD_BYTES', env.NETDISK_MAX_PENDING_UPLOAD_BYTES, DEFAULTS.maxPendingUploadBytes),
      registrationsPerHour: positiveOption('NETDISK_REGISTRATIONS_PER_HOUR', env.NETDISK_REGISTRATIONS_PER_HOUR, DEFAULTS.registrationsPerHour),
    },
    blobs: blobsOption(values, env, chunkSize),
  };
}
