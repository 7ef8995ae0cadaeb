import { describe, expect, it } from 'vitest';
import { serviceRefusal } from './remoteErrors.js';

describe('service refusals as client errors', () => {
  it('a full quota (507 quota_exceeded) and a full service disk (507 insufficient_storage) are not retried at once, and stay apart', () => {
    const quota = serviceRefusal(507, 'quota_exceeded', 'the netdisk is full');
    expect([quota.code, quota.detail.serviceCode, quota.retryable]).toEqual(['service', 'quota_exceeded', false]);
    const disk = serviceRefusal(507, 'insufficient_storage', 'disk full');
    expect([disk.code, disk.detail.serviceCode, disk.retryable]).toEqual(['service_full', 'insufficient_storage', false]);
    expect(serviceRefusal(429, 'rate_limited', 'slow down').retryable).toBe(true);
  });
});
