import { useState } from 'react';
import type { BridgeApi, Snapshot } from '../../protocol/bridge.js';
import type { Activity } from '../../protocol/engine.js';
import { ErrorNotice } from './ErrorNotice.js';
import { formatTime } from './format.js';
import { useI18n } from './i18n.js';
import { useCommand } from './useCommand.js';
import { VersionHistoryDialog } from './VersionHistoryDialog.js';

const GONE: ReadonlySet<string> = new Set(['deleted_local', 'deleted_remote']);
/** What happened to a file (not a folder, not a deletion): it has a version history to show. */
const FILE_WRITES: ReadonlySet<string> = new Set(['uploaded', 'downloaded', 'conflict']);

/**
 * React keys that stay with each item as newer ones arrive on top (an index
 * would not: every row would be rebuilt, and a focused button lost).
 */
function stableKeys(items: readonly Activity[]): string[] {
  const seen = new Map<string, number>();
  return items.map((item) => {
    const base = `${item.at}|${item.action}|${item.path}|${item.otherPath ?? ''}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return `${base}#${n}`;
  });
}

export function ActivityScreen({ bridge, snapshot }: { bridge: BridgeApi; snapshot: Snapshot }) {
  const { t, language } = useI18n();
  const command = useCommand();
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  // Keys counted oldest first, so an item keeps its key as newer ones come.
  const keys = stableKeys(snapshot.activity).reverse();
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
            <li key={keys[index]} className="activity-item">
              <span className={`activity-action action-${item.action}`}>{t(`activity.${item.action}`)}</span>
              <span className="activity-path" title={item.path}>{item.path}{item.otherPath ? ` → ${item.otherPath}` : ''}</span>
              <time className="muted" dateTime={new Date(item.at).toISOString()}>{formatTime(item.at, language)}</time>
              {canOpen && !GONE.has(item.action) ? (
                <button type="button" onClick={() => void command.run(() => bridge.openPath({ path: item.action === 'conflict' ? item.path : item.otherPath ?? item.path }))}>
                  {t('activity.open')}
                </button>
              ) : null}
              {FILE_WRITES.has(item.action) ? (
                <button type="button" className="history-button" aria-label={t('versions.openFor', { path: item.path })} onClick={() => setHistoryOf(item.path)}>
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
