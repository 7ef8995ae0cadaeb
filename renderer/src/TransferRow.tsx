import type { BridgeApi } from '../../protocol/bridge.js';
import type { Transfer } from '../../protocol/engine.js';
import { baseName, formatBytes, formatDuration, percent } from './format.js';
import { describeFailure } from './failureText.js';
import { useI18n } from './i18n.js';

/** One transfer: name, direction, a progress bar, rate and state, and a retry when it failed. */
export function TransferRow({ transfer, bridge, onError }: { transfer: Transfer; bridge: BridgeApi; onError: (error: unknown) => void }) {
  const { t, language } = useI18n();
  const name = baseName(transfer.path);
  const done = percent(transfer.bytesDone, transfer.size);
  const failure = transfer.state === 'failed' ? describeFailure(transfer.error ?? { code: 'internal', message: '' }, t, language) : null;
  return (
    <div className={`transfer transfer-${transfer.state}`} data-path={transfer.path}>
      <span className={`direction direction-${transfer.direction}`} aria-hidden="true">{transfer.direction === 'upload' ? '↑' : '↓'}</span>
      <span className="transfer-name" title={transfer.path}>
        <span className="visually-hidden">{t(`transfer.${transfer.direction}`)}: </span>{name}
      </span>
      <div className="bar" role="progressbar" aria-label={t('transfer.progress', { name })}
        aria-valuemin={0} aria-valuemax={100} aria-valuenow={done}>
        <div className="bar-fill" style={{ width: `${done}%` }} />
      </div>
      <span className="transfer-numbers">
        {done}% · {formatBytes(transfer.bytesDone, t)} / {formatBytes(transfer.size, t)}
        {transfer.state === 'active' && transfer.rate > 0 ? ` · ${t('overview.rate', { rate: formatBytes(transfer.rate, t) })}` : ''}
        {transfer.state === 'active' && transfer.eta !== null ? ` · ${t('overview.eta', { eta: formatDuration(transfer.eta) })}` : ''}
      </span>
      <span className="transfer-state">{t(`transfer.${transfer.state}`)}</span>
      {failure ? (
        <span className="transfer-error">
          <span title={failure.headline}>{failure.detail ?? failure.headline}</span>
          <button type="button" onClick={() => bridge.retryTransfer({ id: transfer.id }).catch(onError)}>{t('transfer.retry')}</button>
        </span>
      ) : null}
    </div>
  );
}
