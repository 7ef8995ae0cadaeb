import { useMemo, useState } from 'react';
import type { BridgeApi, BridgeErrorInfo, Snapshot } from '../../protocol/bridge.js';
import { ErrorNotice, toErrorInfo } from './ErrorNotice.js';
import { BusyButton } from './BusyButton.js';
import { describeFailure } from './failureText.js';
import { formatBytes, formatDuration, percent } from './format.js';
import { useI18n } from './i18n.js';
import { TransferRow } from './TransferRow.js';
import { useCommand } from './useCommand.js';
import { VirtualList } from './VirtualList.js';

const ROW_HEIGHT = 56;
const ORDER = { active: 0, failed: 1, paused: 2, queued: 3, done: 4 } as const;

export function Overview({ bridge, snapshot }: { bridge: BridgeApi; snapshot: Snapshot }) {
  const { t, language } = useI18n();
  const command = useCommand();
  const [rowError, setRowError] = useState<BridgeErrorInfo | null>(null);
  const { progress, engine } = snapshot;
  const paused = engine.state === 'paused';
  // Active and waiting transfers only; finished ones move to Activity.
  const transfers = useMemo(
    () => snapshot.transfers.filter((transfer) => transfer.state !== 'done').sort((a, b) => ORDER[a.state] - ORDER[b.state]),
    [snapshot.transfers],
  );
  const overall = percent(progress.bytesDone, progress.bytesTotal);
  // The last rate is stale once nothing moves (paused, offline, done).
  const moving = engine.state === 'syncing';

  return (
    <section aria-labelledby="overview-title" className="screen">
      {/* The screen's name for the outline; the state below is what people look at. */}
      <h1 id="overview-title" className="visually-hidden">{t('nav.overview')}</h1>
      <div className="status-card">
        <div>
          <h2 className={`engine-state state-${engine.state}`} aria-live="polite" data-state={engine.state}>
            {t(`state.${engine.state}`)}
          </h2>
          {/* The engine's detail is an English sentence; the issue list below says it by code in every language. */}
          {engine.detail && language === 'en' ? <p className="muted">{engine.detail}</p> : null}
          {snapshot.session.username ? <p className="muted">{t('overview.signedInAs', { name: snapshot.session.username })}</p> : null}
        </div>
        <BusyButton type="button" className="primary" busy={command.busy}
          onClick={() => void command.run(() => (paused ? bridge.resume() : bridge.pause()))}>
          {paused ? t('overview.resume') : t('overview.pause')}
        </BusyButton>
      </div>
      {command.error ? <ErrorNotice error={command.error} onDismiss={command.clearError} /> : null}
      {snapshot.massDelete ? (
        <div className="notice notice-warning" role="alert">
          <p>{t('overview.massDelete', { count: snapshot.massDelete.count, side: t(`overview.massDelete.${snapshot.massDelete.side}`) })}</p>
          <button type="button" onClick={() => void command.run(() => bridge.confirmMassDelete())}>{t('overview.massDelete.confirm')}</button>
        </div>
      ) : null}

      <div className="overall">
        <div className="bar bar-large" role="progressbar" aria-label={t('overview.progress')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={overall}>
          <div className="bar-fill" style={{ width: `${overall}%` }} />
        </div>
        <p className="overall-numbers">
          <span>{t('overview.files', { done: progress.filesDone, total: progress.filesTotal })}</span>
          <span>{t('overview.bytes', { done: formatBytes(progress.bytesDone, t), total: formatBytes(progress.bytesTotal, t) })}</span>
          {moving && progress.rate > 0 ? <span>{t('overview.rate', { rate: formatBytes(progress.rate, t) })}</span> : null}
          {moving && progress.eta !== null && progress.eta > 0 ? <span>{t('overview.eta', { eta: formatDuration(progress.eta) })}</span> : null}
        </p>
      </div>

      {snapshot.issues.length > 0 ? (
        <details className="issues">
          <summary>{t('overview.issues')} ({snapshot.issues.length})</summary>
          <ul>{snapshot.issues.map((issue, index) => {
            // In English the engine's own sentence is the more specific one (it has counts and reasons).
            const { headline, detail } = describeFailure(issue, t, language);
            return <li key={index} title={headline}>{issue.path ? <code>{issue.path}</code> : null} {detail ?? headline}</li>;
          })}</ul>
        </details>
      ) : null}

      <h2 id="transfers-title" className="section-title">{t('overview.transfers', { count: transfers.length })}</h2>
      {rowError ? <ErrorNotice error={rowError} onDismiss={() => setRowError(null)} /> : null}
      {transfers.length === 0 ? <p className="muted">{t('overview.noTransfers')}</p> : (
        <VirtualList items={transfers} rowHeight={ROW_HEIGHT} itemKey={(transfer) => transfer.id} label={t('overview.transfers', { count: transfers.length })}
          renderRow={(transfer) => <TransferRow transfer={transfer} bridge={bridge} onError={(error) => setRowError(toErrorInfo(error))} />} />
      )}
    </section>
  );
}
