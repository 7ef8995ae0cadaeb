import { describe, expect, it } from 'vitest';
import type { SyncErrorCode } from '../app/errors.js';
import type { ScanIssueCode } from '../app/local/scanner.js';
import { BRIDGE_ERROR_CODES } from '../protocol/bridge.js';
import { ERROR_CODES } from '../protocol/errors.js';
import { describeFailure } from '../renderer/src/failureText.js';
import { hasMessage, translator } from '../renderer/src/i18n.js';

// Every code a client-side SyncError can carry: the compiler fails here when app/errors.ts gains one.
const SYNC_ERROR_CODES = {
  network: 0, service: 0, signed_out: 0, conflict: 0, not_found: 0, hash_mismatch: 0, disk_full: 0, permission_denied: 0,
  file_changed: 0, sync_root_missing: 0, invalid_name: 0, aborted: 0, watch_limit: 0, keychain_unavailable: 0,
  account_mismatch: 0, sign_in_failed: 0, sign_in_timeout: 0, internal: 0, io_error: 0, service_full: 0,
  invalid_remote_path: 0, outside_sync_root: 0,
} satisfies Record<SyncErrorCode, 0>;
const SCAN_ISSUE_CODES = { symlink: 0, invalid_name: 0, case_clash: 0, unreadable: 0 } satisfies Record<ScanIssueCode, 0>;

/** What the UI may be handed: the service's, the engine's and the bridge's codes, and the engine's issue codes. */
const ALL_CODES = [...new Set([
  ...ERROR_CODES, ...Object.keys(SYNC_ERROR_CODES), ...BRIDGE_ERROR_CODES, ...Object.keys(SCAN_ISSUE_CODES), 'mass_delete',
])];

describe('failures are told by code, in both languages', () => {
  it.each(ALL_CODES)('%s has a headline in English and Chinese', (code) => {
    expect(hasMessage(`error.${code}`)).toBe(true);
    const zh = describeFailure({ code, message: 'English text from the service' }, translator('zh-CN'), 'zh-CN');
    expect(zh.headline).toMatch(/[\u4e00-\u9fff]/);
    expect(zh.next).toMatch(/[\u4e00-\u9fff]/);
    expect(JSON.stringify(zh)).not.toContain('English text');
  });

  it('English keeps the service\'s sentence as the detail; Chinese never shows it', () => {
    const failure = { code: 'invalid_path', message: 'path segment ".." is not allowed' };
    expect(describeFailure(failure, translator('en'), 'en')).toEqual({
      headline: 'That name or path is not allowed.',
      detail: 'path segment ".." is not allowed',
      next: 'Rename it without control characters, empty folder names or "..".',
    });
    expect(describeFailure(failure, translator('zh-CN'), 'zh-CN')).toEqual({
      headline: '不允许使用该名称或路径。', detail: null, next: '请重命名，不要使用控制字符、空文件夹名或“..”。',
    });
  });

  it('a code the UI does not know yet: the sentence in English, the code in Chinese', () => {
    const failure = { code: 'brand_new_code', message: 'something new happened' };
    expect(describeFailure(failure, translator('en'), 'en')).toMatchObject({ headline: 'something new happened', detail: null });
    expect(describeFailure(failure, translator('zh-CN'), 'zh-CN')).toMatchObject({ headline: '出错了', detail: '错误代码：brand_new_code' });
  });
});
