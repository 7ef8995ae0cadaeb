import { useState } from 'react';
import type { BridgeApi, Snapshot } from '../../protocol/bridge.js';
import { ErrorNotice } from './ErrorNotice.js';
import { formatTime } from './format.js';
import { useI18n } from './i18n.js';
import { useCommand } from './useCommand.js';
import { VersionHistoryDialog } from './VersionHistoryDialog.js';

const GONE: ReadonlySet<string> = new Set(['deleted_local', 'deleted_remote']);
/** What happened to a file (not a folder, not a deletion): it has a version history to show. */
const FILE_WRITES: ReadonlySet<string> = new Set(['uploaded', 'downloaded', 'conflict']);

export function ActivityScreen({ bridge, snapshot }: { bridge: BridgeApi; snapshot: Snapshot }) {
  const { t, language } = useI18n();
  const command = useCommand();
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  const items = [...snapshot.activity].reverse();
  // Files open with the system's app, which only the desktop shell can start.
  const canOpen = snapshot.shell === 'desktop';
  return (
    <section aria-labelledby="activity-title" className="screen">
      <h1 id="activity-title">{t('activity.title')}</h1>
      {command.error ? <ErrorNotice error={command.error} onDismiss={command.clearError} /> : null}
      {items.length === 0 ? <p className="muted">{t('activity.empty')}</p> : (
        <ul className="activity-list">
          {items.map((item, index) => (
            <li key={`${item.at}-${index}`} className="activity-item">
              <span className={`activity-action action-${item.action}`}>{t(`activity.${item.action}`)}</span>
              <span className="activity-path" title={item.path}>{item.path}{item.otherPath ? ` → ${item.otherPath}` : ''}</span>
              <time className="muted" dateTime={new Date(item.at).toISOString()}>{formatTime(item.at, language)}</time>
              {canOpen && !GONE.has(item.action) ? (
                <button type="button" onClick={() => void command.run(() => bridge.openPath({ path: item.action === 'conflict' ? item.path : item.otherPath ?? item.path }))}>
                  {t('activity.open')}
                </button>
              ) : null}
              {FILE_WRITES.has(item.action) ? (
                <button type="button" aria-label={t('versions.openFor', { path: item.path })} onClick={() => setHistoryOf(item.path)}>
                  {t('versions.open')}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {historyOf === null ? null : <VersionHistoryDialog bridge={bridge} path={historyOf} onClose={() => setHistoryOf(null)} />}
    </section>
  );
}
