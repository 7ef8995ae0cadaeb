import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { BridgeApi } from '../../protocol/bridge.js';
import type { Share } from '../../protocol/shares.js';
import { BusyButton } from './BusyButton.js';
import { ErrorNotice } from './ErrorNotice.js';
import { formatTime } from './format.js';
import { useI18n, type MessageKey, type Translate } from './i18n.js';
import { useCommand } from './useCommand.js';

const DAY = 86_400;
const EXPIRY_CHOICES = [0, DAY, 7 * DAY, 30 * DAY] as const;

interface Draft {
  path: string;
  code: string;
  noCode: boolean;
  expiresInSeconds: number;
  maxDownloads: string;
}

const EMPTY: Draft = { path: '', code: '', noCode: false, expiresInSeconds: 7 * DAY, maxDownloads: '' };

/** What "Copy share link" puts on the clipboard: the link, and the code people need with it. */
export function shareText(share: Share, t: Translate): string {
  return share.code === null ? share.url : t('shares.copyText', { url: share.url, code: share.code });
}

/**
 * One link. `focused`: the item takes keyboard focus, as after it was
 * revoked from the keyboard: its buttons are gone then, and focus must not
 * fall to the page body (the next Tab would start over at the top).
 */
function ShareItem({ share, onRevoke, busy, focused }: { share: Share; onRevoke: (share: Share) => void; busy: boolean; focused: boolean }) {
  const { t, language } = useI18n();
  const [copied, setCopied] = useState(false);
  const item = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (focused) item.current?.focus();
  }, [focused]);
  const copy = async () => {
    await navigator.clipboard.writeText(shareText(share, t));
    setCopied(true);
  };
  const limit = share.maxDownloads === null ? String(share.downloads) : `${share.downloads} / ${share.maxDownloads}`;
  return (
    <li ref={item} className="share" data-share-id={share.id} tabIndex={-1}>
      <div className="share-head">
        <code className="share-path">{share.path ?? share.name}</code>
        <span className={`share-state share-${share.state}`}>{t(`shares.state.${share.state}` as MessageKey)}</span>
      </div>
      <input className="share-url" readOnly value={share.url} aria-label={t('shares.link', { name: share.name })} />
      <p className="muted">
        {share.code === null ? t('shares.noCode') : t('shares.code', { code: share.code })}
        {' · '}{t('shares.downloads', { count: limit })}
        {' · '}{share.expiresAt === null ? t('shares.neverExpires') : t('shares.expires', { when: formatTime(share.expiresAt, language) })}
      </p>
      <div className="actions">
        {share.state === 'active' ? (
          <>
            <button type="button" onClick={() => void copy()}>{t('shares.copy')}</button>
            <BusyButton type="button" busy={busy} onClick={() => onRevoke(share)}>{t('shares.revoke')}</BusyButton>
          </>
        ) : null}
        <span role="status" aria-live="polite" className="saved">{copied ? t('shares.copied') : ''}</span>
      </div>
    </li>
  );
}

/** Share links: make one for a drive path (code, expiry, download limit), copy it, revoke it. */
export function SharesScreen({ bridge }: { bridge: BridgeApi }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [shares, setShares] = useState<Share[] | null>(null);
  /** The link just revoked, which takes focus from its vanished Revoke button. */
  const [revokedId, setRevokedId] = useState<string | null>(null);
  const create = useCommand();
  const list = useCommand();
  const edit = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));
  const refresh = async () => {
    const found = await list.run(() => bridge.listShares());
    if (found) setShares(found);
  };

  useEffect(() => {
    void list.run(() => bridge.listShares()).then((found) => { if (found) setShares(found); });
  }, [bridge, list.run]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const made = await create.run(() => bridge.createShare({
      path: draft.path.trim(),
      ...(draft.noCode ? { code: null } : draft.code.trim() === '' ? {} : { code: draft.code.trim() }),
      ...(draft.expiresInSeconds === 0 ? {} : { expiresInSeconds: draft.expiresInSeconds }),
      ...(draft.maxDownloads.trim() === '' ? {} : { maxDownloads: Number(draft.maxDownloads) }),
    }));
    if (made) {
      setDraft(EMPTY);
      await refresh();
    }
  };

  const revoke = async (share: Share) => {
    if (await list.run(() => bridge.revokeShare({ id: share.id }))) {
      await refresh();
      setRevokedId(share.id);
    }
  };

  return (
    <section aria-labelledby="shares-title" className="screen">
      <h1 id="shares-title">{t('shares.title')}</h1>
      <p className="hint">{t('shares.explain')}</p>
      <form className="form settings-form" onSubmit={(event) => void submit(event)}>
        <label htmlFor="share-path">{t('shares.path')}</label>
        <input id="share-path" required placeholder="/docs/report.pdf" value={draft.path} onChange={(event) => edit({ path: event.target.value })} />
        <label htmlFor="share-code">{t('shares.codeField')}</label>
        <input id="share-code" maxLength={4} pattern="[A-Za-z0-9]{4}" autoComplete="off" disabled={draft.noCode} aria-describedby="share-code-hint"
          value={draft.code} onChange={(event) => edit({ code: event.target.value })} />
        <p id="share-code-hint" className="hint">{t('shares.codeHint')}</p>
        <div className="checkbox">
          <input id="share-no-code" type="checkbox" checked={draft.noCode} onChange={(event) => edit({ noCode: event.target.checked })} />
          <label htmlFor="share-no-code">{t('shares.noCodeField')}</label>
        </div>
        <label htmlFor="share-expiry">{t('shares.expiry')}</label>
        <select id="share-expiry" value={draft.expiresInSeconds} onChange={(event) => edit({ expiresInSeconds: Number(event.target.value) })}>
          {EXPIRY_CHOICES.map((seconds) => (
            <option key={seconds} value={seconds}>{seconds === 0 ? t('shares.expiry.never') : t('shares.expiry.days', { days: seconds / DAY })}</option>
          ))}
        </select>
        <label htmlFor="share-max">{t('shares.maxDownloads')}</label>
        <input id="share-max" type="number" min={1} step={1} inputMode="numeric" value={draft.maxDownloads} aria-describedby="share-max-hint"
          onChange={(event) => edit({ maxDownloads: event.target.value })} />
        <p id="share-max-hint" className="hint">{t('shares.maxDownloadsHint')}</p>
        <div className="actions">
          <BusyButton type="submit" className="primary" busy={create.busy}>{t('shares.create')}</BusyButton>
        </div>
        {create.error ? <ErrorNotice error={create.error} onDismiss={create.clearError} /> : null}
      </form>

      <h2 className="section-title">{t('shares.list')}</h2>
      {list.error ? <ErrorNotice error={list.error} onDismiss={list.clearError} /> : null}
      {shares === null ? null : shares.length === 0 ? <p className="muted">{t('shares.empty')}</p> : (
        <ul className="share-list">
          {shares.map((share) => (
            <ShareItem key={share.id} share={share} busy={list.busy} focused={share.id === revokedId} onRevoke={(s) => void revoke(s)} />
          ))}
        </ul>
      )}
    </section>
  );
}
