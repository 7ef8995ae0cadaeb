import { useState } from 'react';
import type { BridgeApi, Snapshot } from '../../protocol/bridge.js';
import { BusyButton } from './BusyButton.js';
import { ErrorNotice } from './ErrorNotice.js';
import { formatTime } from './format.js';
import { useI18n } from './i18n.js';
import { useCommand } from './useCommand.js';
import { VersionHistoryDialog } from './VersionHistoryDialog.js';

export function ConflictsScreen({ bridge, snapshot }: { bridge: BridgeApi; snapshot: Snapshot }) {
  const { t, language } = useI18n();
  const command = useCommand();
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  const canOpen = snapshot.shell === 'desktop';
  const open = (path: string) => void command.run(() => bridge.openPath({ path }));
  return (
    <section aria-labelledby="conflicts-title" className="screen">
      <h1 id="conflicts-title">{t('conflicts.title')}</h1>
      {command.error ? <ErrorNotice error={command.error} onDismiss={command.clearError} /> : null}
      {snapshot.conflicts.length === 0 ? <p className="muted">{t('conflicts.empty')}</p> : (
        <ul className="conflict-list">
          {snapshot.conflicts.map((conflict) => (
            <li key={conflict.id} className="conflict" data-path={conflict.path}>
              <p>{t('conflicts.explain')} <time className="muted">{formatTime(conflict.at, language)}</time></p>
              <dl className="versions">
                <div>
                  <dt>{t('conflicts.original')}</dt>
                  <dd>
                    <code>{conflict.path}</code> {canOpen ? <button type="button" onClick={() => open(conflict.path)}>{t('conflicts.open')}</button> : null}
                    {' '}<button type="button" className="history-button" aria-label={t('versions.openFor', { path: conflict.path })} onClick={() => setHistoryOf(conflict.path)}>{t('versions.open')}</button>
                  </dd>
                </div>
                <div>
                  <dt>{t('conflicts.copy')}</dt>
                  <dd><code>{conflict.copyPath}</code> {canOpen ? <button type="button" onClick={() => open(conflict.copyPath)}>{t('conflicts.open')}</button> : null}</dd>
                </div>
              </dl>
              <div className="actions">
                <BusyButton type="button" busy={command.busy}
                  onClick={() => void command.run(() => bridge.keepConflictVersion({ id: conflict.id, keep: 'original' }))}>
                  {t('conflicts.keepOriginal')}
                </BusyButton>
                <BusyButton type="button" busy={command.busy}
                  onClick={() => void command.run(() => bridge.keepConflictVersion({ id: conflict.id, keep: 'copy' }))}>
                  {t('conflicts.keepCopy')}
                </BusyButton>
              </div>
              <p className="muted">{t('conflicts.trashNote')}</p>
            </li>
          ))}
        </ul>
      )}
      {historyOf === null ? null : <VersionHistoryDialog bridge={bridge} path={historyOf} onClose={() => setHistoryOf(null)} />}
    </section>
  );
}
