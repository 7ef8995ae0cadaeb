import type { ErrorCode } from '../../protocol/errors.js';

export type PageLanguage = 'zh-CN' | 'en';

export interface PageStrings {
  title: string;
  codePrompt: string;
  codeLabel: string;
  open: string;
  download: string;
  downloadAll: string;
  name: string;
  size: string;
  /** The word after an exact count of bytes ("1,234 bytes"). */
  bytes: string;
  /** The name of the unit "B" in a rounded size ("12 B"); the larger units keep their symbols. */
  byteUnit: string;
  up: string;
  empty: string;
  /** The message for a refusal shown on the page. */
  refusal: Partial<Record<ErrorCode, string>>;
  otherError: string;
}

export const PAGE_STRINGS: Record<PageLanguage, PageStrings> = {
  en: {
    title: 'Shared with you',
    codePrompt: 'This link is protected by an extraction code.',
    codeLabel: 'Extraction code',
    open: 'Open',
    download: 'Download',
    downloadAll: 'Download all (zip)',
    name: 'Name',
    size: 'Size',
    bytes: 'bytes',
    byteUnit: 'B',
    up: 'Up one folder',
    empty: 'This folder is empty.',
    refusal: {
      share_not_found: 'This share link does not exist.',
      share_revoked: 'The owner has revoked this share link.',
      share_expired: 'This share link has expired.',
      share_exhausted: 'This share link has reached its download limit.',
      share_entry_deleted: 'The shared file or folder has been deleted.',
      share_code_invalid: 'Wrong extraction code. Please try again.',
      share_locked: 'Please enter the extraction code.',
      rate_limited: 'Too many wrong codes. Please wait a while and try again.',
      not_found: 'This item is not in the share.',
      // A folder with too many entries for one zip, or a form far larger than a code.
      payload_too_large: 'This is too large to handle in one piece. For a folder, download its subfolders or files one by one.',
    },
    otherError: 'Something went wrong. Please try again later.',
  },
  'zh-CN': {
    title: '分享给你的文件',
    codePrompt: '此链接需要提取码。',
    codeLabel: '提取码',
    open: '提取文件',
    download: '下载',
    downloadAll: '全部下载（zip）',
    name: '名称',
    size: '大小',
    bytes: '字节',
    byteUnit: '字节',
    up: '返回上一级',
    empty: '此文件夹为空。',
    refusal: {
      share_not_found: '分享链接不存在。',
      share_revoked: '分享者已取消此分享。',
      share_expired: '此分享链接已过期。',
      share_exhausted: '此分享链接的下载次数已用完。',
      share_entry_deleted: '分享的文件或文件夹已被删除。',
      share_code_invalid: '提取码错误，请重试。',
      share_locked: '请输入提取码。',
      rate_limited: '提取码错误次数过多，请稍后再试。',
      not_found: '此分享中没有该项目。',
      payload_too_large: '内容太大，无法一次处理。如果是文件夹，请逐个下载其中的子文件夹或文件。',
    },
    otherError: '出了点问题，请稍后再试。',
  },
};

/** The language of the page from `Accept-Language`: the first of zh / en by preference, English otherwise. */
export function pageLanguage(acceptLanguage: string | undefined): PageLanguage {
  const ranked = (acceptLanguage ?? '').split(',').map((part, index) => {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return { tag, q: q === undefined ? 1 : Number(q), index };
  }).filter((item) => item.q > 0).sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'en';
}
