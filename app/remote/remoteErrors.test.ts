import { describe, expect, it } from 'vitest';
import { serviceRefusal } from './remoteErrors.js';

describe('service refusals as client errors', () => {
  it('a full quota (507 quota_exceeded) is not retried, unlike a full service disk (507 insufficient_storage)', () => {
    const quota = serviceRefusal(507, 'quota_exceeded', 'the netdisk is full');
    expect([quota.code, quota.detail.serviceCode, quota.retryable]).toEqual(['service', 'quota_exceeded', false]);
    expect(serviceRefusal(507, 'insufficient_storage', 'disk full').retryable).toBe(true);
    expect(serviceRefusal(429, 'rate_limited', 'slow down').retryable).toBe(true);
  });
});
