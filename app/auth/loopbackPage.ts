/**
 * The short page the browser tab shows when the sign-in returns to the
 * client's loopback listener: in Simplified Chinese or English, whichever the
 * browser prefers (English when it prefers neither). It never carries a code
 * or token, only the outcome.
 */

export type PageLanguage = 'zh-CN' | 'en';

export type PageOutcome =
  | { kind: 'signed_in'; name: string }
  | { kind: 'failed'; reason: string }
  /** A callback whose `state` is not the one this sign-in sent: forged or from an older attempt. */
  | { kind: 'wrong_state' }
  | { kind: 'already_used' }
  | { kind: 'not_found' };

/** The first of zh / en in the Accept-Language header by preference (q value, then order). */
export function pageLanguage(acceptLanguage: string | undefined): PageLanguage {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { primary: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.q > 0 && (entry.primary === 'zh' || entry.primary === 'en'))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.primary === 'zh' ? 'zh-CN' : 'en';
}

interface Text {
  title: string;
  body: string;
}

const TEXTS: Record<PageLanguage, (outcome: PageOutcome) => Text> = {
  en: (outcome) => {
    switch (outcome.kind) {
      case 'signed_in': return { title: 'Signed in', body: `Netdisk Sync is signed in as ${outcome.name}. You can close this tab.` };
      case 'failed': return { title: 'Sign-in failed', body: `${outcome.reason}. You can close this tab and sign in again from Netdisk Sync.` };
      case 'wrong_state': return { title: 'Not this sign-in', body: 'This link does not belong to the sign-in in progress, so it was ignored. If the sign-in does not finish, start it again from Netdisk Sync.' };
      case 'already_used': return { title: 'Already done', body: 'This sign-in has already been completed. You can close this tab.' };
      case 'not_found': return { title: 'Not found', body: 'There is nothing here.' };
    }
  },
  'zh-CN': (outcome) => {
    switch (outcome.kind) {
      case 'signed_in': return { title: '登录成功', body: `Netdisk Sync 已以 ${outcome.name} 的身份登录。可以关闭此页面。` };
      case 'failed': return { title: '登录失败', body: `${outcome.reason}。可以关闭此页面，然后在 Netdisk Sync 中重新登录。` };
      case 'wrong_state': return { title: '不是本次登录', body: '此链接不属于正在进行的登录，已被忽略。如果登录没有完成，请在 Netdisk Sync 中重新开始。' };
      case 'already_used': return { title: '已完成', body: '本次登录已经完成。可以关闭此页面。' };
      case 'not_found': return { title: '未找到', body: '此处没有内容。' };
    }
  },
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete HTML document; `data-outcome` lets tests and scripts read the result without parsing prose. */
export function loopbackPage(language: PageLanguage, outcome: PageOutcome): string {
  const { title, body } = TEXTS[language](outcome);
  return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)} · Netdisk Sync</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36em; margin: 4em auto; padding: 0 1em">
  <main id="sign-in-result" data-outcome="${outcome.kind}">
    <h1>${escapeHtml(title)}</h1>
    <p>${escapeHtml(body)}</p>
  </main>
</body></html>
`;
}
