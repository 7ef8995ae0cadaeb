import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type SignedUpUser } from '../helpers/accounts.js';
import { errorCodeOf, jsonRequest } from '../helpers/jsonRequest.js';
import { addRgwUser, removeRgwKey, restoreRgwKey, RGW_REGION, rgwMissing, type RgwInfo, type RgwKeys } from '../helpers/rgw.js';
import { serviceBuildMissing, startServiceProcess, type ServiceProcess } from '../helpers/serviceProcess.js';
import { sharedRgw } from '../helpers/sharedRgw.js';
import { createUpload, download, uploadFile, uploadRequest } from '../helpers/uploads.js';

const skip = rgwMissing() ?? serviceBuildMissing();

/**
 * The S3 store refuses the service's credentials while it runs (its key was
 * revoked or rotated). The service runs as its own process, so it alone holds
 * this user's keys, and its log is what an operator reads.
 */
describe.skipIf(skip !== undefined)('the S3 store refusing the service\'s credentials at runtime', () => {
  const uid = `svc-${randomBytes(4).toString('hex')}`;
  const bucket = `netdisk-keys-${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'netdisk-s3-keys-'));
  let rgw: RgwInfo;
  let keys: RgwKeys;
  let service: ServiceProcess;
  let alice: SignedUpUser;

  beforeAll(async () => {
    rgw = await sharedRgw();
    keys = await addRgwUser(rgw, uid);
    const client = new S3Client({ endpoint: rgw.endpoint, region: RGW_REGION, forcePathStyle: true, credentials: keys });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    service = await startServiceProcess({
      dataDir,
      env: {
        NETDISK_BLOBS: 's3',
        NETDISK_S3_ENDPOINT: rgw.endpoint,
        NETDISK_S3_BUCKET: bucket,
        NETDISK_S3_REGION: RGW_REGION,
        NETDISK_S3_FORCE_PATH_STYLE: '1',
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      },
    });
    alice = await signUp(service.api);
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 storage_access_denied with a clear message, logs the store\'s answer, commits nothing, and works again once the key is back', async () => {
    const before = Buffer.from('stored while the key was good');
    await uploadFile(service.api, alice.auth, '/before.txt', before);

    await removeRgwKey(rgw, uid, keys.accessKeyId);
    // RGW drops its cached copy of the user by a notification: wait until a read is refused.
    await expect.poll(async () => (await download(service.api, alice.auth, '/before.txt')).status, { timeout: 30_000 }).toBe(503);

    const read = await download(service.api, alice.auth, '/before.txt');
    const refusal = JSON.parse(read.bytes.toString()) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe('storage_access_denied');
    expect(refusal.error.message).toMatch(/the content storage refused the service's credentials \(InvalidAccessKeyId\); the service's administrator must fix its S3 settings/);

    // A new file: the content lookup (is it stored already?) is refused the same way, and nothing is committed.
    const after = Buffer.from('written after the key was revoked');
    const upload = await createUpload(service.api, alice.auth, uploadRequest('/after.txt', after));
    expect([upload.status, errorCodeOf(upload)]).toEqual([503, 'storage_access_denied']);
    const meta = await jsonRequest(service.api, 'GET', '/files/meta?path=%2Fafter.txt', { headers: alice.auth });
    expect(errorCodeOf(meta)).toBe('not_found');

    // The operator's log has the refusal, with the store's own error as its cause; never an anonymous internal error.
    const log = service.log();
    expect(log).toContain('storage_access_denied');
    expect(log).toContain('InvalidAccessKeyId');
    expect(log).not.toContain('internal_error');

    // Fixed by the operator: the same requests succeed, nothing was lost.
    await restoreRgwKey(rgw, uid, keys);
    await expect.poll(async () => (await download(service.api, alice.auth, '/before.txt')).status, { timeout: 30_000 }).toBe(200);
    expect((await download(service.api, alice.auth, '/before.txt')).bytes.equals(before)).toBe(true);
    await uploadFile(service.api, alice.auth, '/after.txt', after);
    expect((await download(service.api, alice.auth, '/after.txt')).bytes.equals(after)).toBe(true);
  }, 120_000);
});
