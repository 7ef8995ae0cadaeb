import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../protocol/contentHash.js';
import { ConfigError, DEFAULTS, loadConfig } from './config.js';

describe('server config', () => {
  it('defaults to loopback, port 8080, ./netdisk-data, 8 MiB chunks and OWASP scrypt cost', () => {
    const config = loadConfig([], {});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.dataDir.endsWith('netdisk-data')).toBe(true);
    expect(config.chunkSize).toBe(8 * 1024 * 1024);
    expect(config.scrypt).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(config.jwt.accessTtlSeconds).toBe(DEFAULTS.accessTtlSeconds);
    expect(config.jwt.secret).toBeUndefined();
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
  });

  it('takes the environment, and flags over the environment', () => {
    const env = { NETDISK_PORT: '9000', NETDISK_HOST: '::1', NETDISK_JWT_SECRET: 'x'.repeat(40), NETDISK_ACCESS_TTL: '60' };
    const fromEnv = loadConfig([], env);
    expect([fromEnv.port, fromEnv.host, fromEnv.jwt.secret, fromEnv.jwt.accessTtlSeconds]).toEqual([9000, '::1', 'x'.repeat(40), 60]);
    expect(fromEnv.publicUrl).toBe('http://[::1]:9000');
    const flags = loadConfig(['--port', '9100', '--data', '/tmp/x', '--chunk-size', String(3 * BLOCK_SIZE)], env);
    expect([flags.port, flags.dataDir, flags.chunkSize]).toEqual([9100, '/tmp/x', 3 * BLOCK_SIZE]);
  });

  it.each([
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--chunk-size', '1000']],
    [['--chunk-size', '0']],
  ])('refuses %j with a ConfigError', (argv) => {
    expect(() => loadConfig(argv, {})).toThrow(ConfigError);
  });

  it('reads registration, timeouts and per-user limits from the environment', () => {
    const defaults = loadConfig([], {});
    expect(defaults.registration).toBe('open');
    expect(defaults.timeouts).toEqual({ requestSeconds: 300, headersSeconds: 30 });
    expect(defaults.limits).toEqual({ quotaBytes: 100 * 1024 ** 3, maxUploadSessions: 100, maxPendingUploadBytes: 50 * 1024 ** 3, registrationsPerHour: 10 });
    const set = loadConfig([], {
      NETDISK_REGISTRATION: 'closed', NETDISK_REQUEST_TIMEOUT: '60', NETDISK_HEADERS_TIMEOUT: '10',
      NETDISK_QUOTA_BYTES: '1000', NETDISK_MAX_UPLOAD_SESSIONS: '3', NETDISK_MAX_PENDING_UPLOAD_BYTES: '500', NETDISK_REGISTRATIONS_PER_HOUR: '2',
    });
    expect([set.registration, set.timeouts, set.limits]).toEqual([
      'closed', { requestSeconds: 60, headersSeconds: 10 }, { quotaBytes: 1000, maxUploadSessions: 3, maxPendingUploadBytes: 500, registrationsPerHour: 2 },
    ]);
  });

  it('believes X-Forwarded-For only from the proxies NETDISK_TRUST_PROXY names', () => {
    expect(loadConfig([], {}).trustedProxies).toEqual([]);
    expect(loadConfig([], { NETDISK_TRUST_PROXY: ' 127.0.0.1, ::1,10.0.0.0/8 ' }).trustedProxies).toEqual(['127.0.0.1', '::1', '10.0.0.0/8']);
  });

  it('keeps previous versions 30 days and 100 per file unless NETDISK_VERSION_RETENTION / NETDISK_MAX_VERSIONS say otherwise', () => {
    expect(loadConfig([], {}).versions).toEqual({ retentionSeconds: 30 * 24 * 3600, maxPerFile: 100 });
    expect(loadConfig([], { NETDISK_VERSION_RETENTION: '60', NETDISK_MAX_VERSIONS: '0' }).versions).toEqual({ retentionSeconds: 60, maxPerFile: 0 });
  });

  it.each([
    { NETDISK_MAX_VERSIONS: 'many' },
    { NETDISK_VERSION_RETENTION: '-5' },
    { NETDISK_REGISTRATION: 'invite-only' },
    { NETDISK_REQUEST_TIMEOUT: '0' },
    { NETDISK_REQUEST_TIMEOUT: '10', NETDISK_HEADERS_TIMEOUT: '20' },
    { NETDISK_QUOTA_BYTES: '-1' },
    { NETDISK_MAX_UPLOAD_SESSIONS: '0' },
    { NETDISK_TRUST_PROXY: 'loadbalancer.local' },
    { NETDISK_TRUST_PROXY: '10.0.0.0/33' },
    { NETDISK_TRUST_PROXY: '127.0.0.1/8/8' },
  ])('refuses %j with a ConfigError', (env) => {
    expect(() => loadConfig([], env)).toThrow(ConfigError);
  });

  it('refuses unknown flags', () => {
    expect(() => loadConfig(['--prot', '1'], {})).toThrow();
  });

  it('keeps content on local disk unless told S3, and reads the S3 settings from the environment or flags', () => {
    expect(loadConfig([], {}).blobs).toEqual({ kind: 'local' });
    const env = {
      NETDISK_BLOBS: 's3', NETDISK_S3_ENDPOINT: 'http://127.0.0.1:9000', NETDISK_S3_REGION: 'eu-west-1',
      NETDISK_S3_BUCKET: 'netdisk', NETDISK_S3_PREFIX: 'prod', NETDISK_S3_FORCE_PATH_STYLE: '1',
    };
    expect(loadConfig([], env).blobs).toEqual({
      kind: 's3', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', bucket: 'netdisk', prefix: 'prod/', forcePathStyle: true, presign: false,
    });
    const flags = loadConfig(['--blobs', 's3', '--s3-bucket', 'other', '--s3-region', 'ap-guangzhou', '--s3-presign',
      '--s3-endpoint', 'https://cos.ap-guangzhou.myqcloud.com'], {});
    expect(flags.blobs).toEqual({
      kind: 's3', endpoint: 'https://cos.ap-guangzhou.myqcloud.com', region: 'ap-guangzhou', bucket: 'other', prefix: '', forcePathStyle: false, presign: true,
    });
    // Credentials have no flag: the SDK's default chain reads them.
    expect(() => loadConfig(['--s3-secret-key', 'x'], {})).toThrow();
  });

  it.each([
    [{ NETDISK_BLOBS: 'ftp' }, 'NETDISK_BLOBS must be "local" or "s3"'],
    [{ NETDISK_BLOBS: 's3' }, 'needs NETDISK_S3_BUCKET'],
    [{ NETDISK_BLOBS: 's3', NETDISK_S3_BUCKET: 'b', NETDISK_CHUNK_SIZE: String(BLOCK_SIZE) }, 'between S3\'s part limits, 5242880 and'],
    [{ NETDISK_BLOBS: 's3', NETDISK_S3_BUCKET: 'b', NETDISK_S3_ENDPOINT: 'minio:9000' }, 'must be an http(s) URL'],
    [{ NETDISK_BLOBS: 's3', NETDISK_S3_BUCKET: 'b', NETDISK_S3_PRESIGN: 'yes' }, 'NETDISK_S3_PRESIGN must be 1 or 0'],
  ])('refuses a storage config S3 cannot work with: %o', (env, message) => {
    expect(() => loadConfig([], env)).toThrow(ConfigError);
    expect(() => loadConfig([], env)).toThrow(message);
  });
});
