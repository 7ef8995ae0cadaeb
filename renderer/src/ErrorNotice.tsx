import type { BridgeErrorInfo } from '../../protocol/bridge.js';
import { hasMessage, useI18n } from './i18n.js';

/** Turns whatever a command rejected with into a code and a sentence; never a stack trace. */
export function toErrorInfo(error: unknown): BridgeErrorInfo {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return { code: error.code, message: 'message' in error && typeof error.message === 'string' ? error.message : '' };
  }
  return { code: 'internal', message: '' };
}

/** A readable failure with the next step to take. */
export function ErrorNotice({ error, onDismiss }: { error: BridgeErrorInfo; onDismiss?: () => void }) {
  const { t } = useI18n();
  const known = `error.${error.code}`;
  const next = `error.${error.code}.next`;
  const headline = hasMessage(known) ? t(known) : error.message || t('error.title');
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-headline">{headline}</p>
      {hasMessage(known) && error.message && error.code !== 'internal' ? <p className="notice-detail">{error.message}</p> : null}
      <p className="notice-next">{hasMessage(next) ? t(next) : t('error.next')}</p>
      {onDismiss ? <button type="button" className="link-button" onClick={onDismiss}>{t('error.dismiss')}</button> : null}
    </div>
  );
}
